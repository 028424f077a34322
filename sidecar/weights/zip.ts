// Reading the zip container torch.save writes (PKWARE APPNOTE): the central directory (zip64 when
// the file or an entry passes 4 GiB), then each entry's local header to find where its bytes start.
// Stored entries are byte ranges of the file itself, so tensors can be referenced in place. Every
// size and offset is checked against the file before it is used to allocate or read.
import { inflateRawSync } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';

export class ZipError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ZipError';
  }
}

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** A central directory this large would list millions of entries; torch.save writes a few thousand. */
const MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024;

async function readAt(fh: FileHandle, file: string, position: number, length: number, fileSize: number, what: string): Promise<DataView> {
  if (position < 0 || length < 0 || position + length > fileSize) throw new ZipError(file, `${what} (${length} bytes at offset ${position}) lies outside the ${fileSize}-byte file: truncated or corrupt`);
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new ZipError(file, `file ended while reading ${what}`);
    done += bytesRead;
  }
  return new DataView(buf.buffer);
}

function u64(file: string, v: DataView, at: number, what: string): number {
  const n = v.getBigUint64(at, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(file, `${what} ${n} is out of range (corrupt)`);
  return Number(n);
}

/** Every entry of the archive by name; duplicate names are refused (they would make reads ambiguous). */
export async function readZipDirectory(fh: FileHandle, file: string, fileSize: number): Promise<Map<string, ZipEntry>> {
  const tailLength = Math.min(fileSize, 22 + 0xffff);
  const tail = await readAt(fh, file, fileSize - tailLength, tailLength, fileSize, 'the end of the zip');
  let eocd = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.getUint32(i, true) === EOCD && i + 22 + tail.getUint16(i + 20, true) <= tailLength) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError(file, 'no zip end-of-central-directory record: the file is truncated (an interrupted download?) or not a zip');
  const eocdAt = fileSize - tailLength + eocd;
  if (tail.getUint16(eocd + 4, true) !== 0 || tail.getUint16(eocd + 6, true) !== 0) throw new ZipError(file, 'multi-part zip archives are not supported');
  let count = tail.getUint16(eocd + 10, true);
  let cdSize = tail.getUint32(eocd + 12, true);
  let cdOffset = tail.getUint32(eocd + 16, true);
  if (eocdAt >= 20 && (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)) {
    const loc = await readAt(fh, file, eocdAt - 20, 20, fileSize, 'the zip64 locator');
    if (loc.getUint32(0, true) !== ZIP64_LOCATOR) throw new ZipError(file, 'the zip declares zip64 sizes but has no zip64 locator (corrupt)');
    const at = u64(file, loc, 8, 'zip64 record offset');
    const z = await readAt(fh, file, at, 56, fileSize, 'the zip64 end record');
    if (z.getUint32(0, true) !== ZIP64_EOCD) throw new ZipError(file, 'the zip64 end record is missing (corrupt)');
    count = u64(file, z, 32, 'entry count');
    cdSize = u64(file, z, 40, 'central directory size');
    cdOffset = u64(file, z, 48, 'central directory offset');
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY) throw new ZipError(file, `central directory of ${cdSize} bytes is larger than any checkpoint's (corrupt)`);
  if (count * 46 > cdSize) throw new ZipError(file, `${count} entries cannot fit a ${cdSize}-byte central directory (corrupt)`);
  const cd = await readAt(fh, file, cdOffset, cdSize, fileSize, 'the central directory');
  const names = new TextDecoder('utf-8');
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cdSize || cd.getUint32(p, true) !== CENTRAL) throw new ZipError(file, `central directory entry ${n} is malformed (corrupt)`);
    const flags = cd.getUint16(p + 8, true);
    const method = cd.getUint16(p + 10, true);
    let compressedSize = cd.getUint32(p + 20, true);
    let size = cd.getUint32(p + 24, true);
    const nameLen = cd.getUint16(p + 28, true);
    const extraLen = cd.getUint16(p + 30, true);
    const commentLen = cd.getUint16(p + 32, true);
    let localHeaderOffset = cd.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdSize) throw new ZipError(file, `central directory entry ${n} runs past the directory (corrupt)`);
    const name = names.decode(new Uint8Array(cd.buffer, p + 46, nameLen));
    if (flags & 1) throw new ZipError(file, `entry ${name} is encrypted`);
    // Zip64 extra field: the 64-bit values of those fields that read 0xFFFFFFFF, in this order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = cd.getUint16(e, true);
      const len = cd.getUint16(e + 2, true);
      if (id === 0x0001) {
        let f = e + 4;
        const next = (what: string) => {
          if (f + 8 > e + 4 + len) throw new ZipError(file, `entry ${name}: zip64 field too short for its ${what}`);
          const v = u64(file, cd, f, what);
          f += 8;
          return v;
        };
        if (size === 0xffffffff) size = next('size');
        if (compressedSize === 0xffffffff) compressedSize = next('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next('offset');
      }
      e += 4 + len;
    }
    if (entries.has(name)) throw new ZipError(file, `entry ${name} appears twice`);
    if (localHeaderOffset + 30 + compressedSize > fileSize) throw new ZipError(file, `entry ${name} (${compressedSize} bytes at ${localHeaderOffset}) runs past the end of the ${fileSize}-byte file: truncated`);
    entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
    p = end;
  }
  return entries;
}

/** File offset of the entry's first data byte (after its local header, whose extra field torch uses for alignment padding). */
export async function entryDataOffset(fh: FileHandle, file: string, entry: ZipEntry, fileSize: number): Promise<number> {
  const h = await readAt(fh, file, entry.localHeaderOffset, 30, fileSize, `the local header of ${entry.name}`);
  if (h.getUint32(0, true) !== LOCAL) throw new ZipError(file, `entry ${entry.name} has no local header at offset ${entry.localHeaderOffset} (corrupt)`);
  const start = entry.localHeaderOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
  if (start + entry.compressedSize > fileSize) throw new ZipError(file, `entry ${entry.name} (${entry.compressedSize} bytes at ${start}) runs past the end of the ${fileSize}-byte file: truncated`);
  return start;
}

/** An entry's bytes (stored or deflated), refused above `maxBytes` before anything is allocated. */
export async function readEntry(fh: FileHandle, file: string, entry: ZipEntry, fileSize: number, maxBytes: number): Promise<Uint8Array> {
  if (entry.size > maxBytes) throw new ZipError(file, `entry ${entry.name} declares ${entry.size} bytes, more than the ${maxBytes}-byte limit`);
  const start = await entryDataOffset(fh, file, entry, fileSize);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) throw new ZipError(file, `stored entry ${entry.name} has different compressed and plain sizes (corrupt)`);
    const v = await readAt(fh, file, start, entry.size, fileSize, entry.name);
    return new Uint8Array(v.buffer);
  }
  if (entry.method !== 8) throw new ZipError(file, `entry ${entry.name} uses compression method ${entry.method} (only stored and deflate are read)`);
  if (entry.compressedSize > maxBytes) throw new ZipError(file, `entry ${entry.name} is ${entry.compressedSize} bytes compressed, more than the ${maxBytes}-byte limit`);
  const raw = await readAt(fh, file, start, entry.compressedSize, fileSize, entry.name);
  let out: Buffer;
  try {
    out = inflateRawSync(new Uint8Array(raw.buffer), { maxOutputLength: Math.max(1, entry.size) });
  } catch (e) {
    throw new ZipError(file, `entry ${entry.name} does not inflate to its declared ${entry.size} bytes (${(e as Error).message})`);
  }
  if (out.length !== entry.size) throw new ZipError(file, `entry ${entry.name} inflates to ${out.length} bytes, not its declared ${entry.size}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
