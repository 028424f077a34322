// Looking into an instance-image folder without decoding anything: which files are images (by their
// first bytes, not just their names), which are something else, which cannot be read.
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.gif', '.tif', '.tiff', '.avif'];
/** Past this many entries a folder is not listed further (the check stays quick). */
const MAX_ENTRIES = 5000;

export interface FolderScan {
  /** Why the folder could not be listed (missing, not a folder, permission), if so. */
  problem?: string;
  images: string[];
  /** Files that are not images (by extension). */
  nonImages: string[];
  /** Files named like images that cannot be read or whose bytes are not that format. */
  unreadable: { name: string; why: string }[];
}

function sniff(head: Uint8Array): string | undefined {
  const b = (i: number) => head[i] ?? -1;
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpeg';
  if (b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47) return 'png';
  if (b(0) === 0x52 && b(1) === 0x49 && b(2) === 0x46 && b(3) === 0x46 && b(8) === 0x57 && b(9) === 0x45) return 'webp';
  if (b(0) === 0x42 && b(1) === 0x4d) return 'bmp';
  if (b(0) === 0x47 && b(1) === 0x49 && b(2) === 0x46) return 'gif';
  if ((b(0) === 0x49 && b(1) === 0x49 && b(2) === 0x2a) || (b(0) === 0x4d && b(1) === 0x4d && b(3) === 0x2a)) return 'tiff';
  if (b(4) === 0x66 && b(5) === 0x74 && b(6) === 0x79 && b(7) === 0x70) return 'avif';
  return undefined;
}

function readHead(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(16);
    const n = readSync(fd, buf, 0, 16, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export function scanImageFolder(dir: string): FolderScan {
  const scan: FolderScan = { images: [], nonImages: [], unreadable: [] };
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return { ...scan, problem: 'is a file, not a folder' };
    names = readdirSync(dir).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ...scan, problem: code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? String(e)})` };
  }
  for (const name of names.slice(0, MAX_ENTRIES)) {
    if (name.startsWith('.')) continue; // .DS_Store, editor swap files
    const path = join(dir, name);
    try {
      if (!statSync(path).isFile()) continue;
    } catch {
      scan.unreadable.push({ name, why: 'cannot be read' });
      continue;
    }
    if (!IMAGE_EXTENSIONS.includes(extname(name).toLowerCase())) {
      scan.nonImages.push(name);
      continue;
    }
    try {
      const head = readHead(path);
      if (head.length === 0) scan.unreadable.push({ name, why: 'is empty' });
      else if (!sniff(head)) scan.unreadable.push({ name, why: 'is not an image file despite its name' });
      else scan.images.push(name);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      scan.unreadable.push({ name, why: code === 'EACCES' ? 'cannot be read (permission denied)' : 'cannot be read' });
    }
  }
  return scan;
}
