// Packages the extension (vsce, production dependencies included: the native modules must ship) and
// checks what the .vsix holds: the bundles and runtime data in, sources, tests and fixtures out.
// `node --import tsx test/e2e/vsix.ts [file.vsix]` checks an existing package.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths';

const REQUIRED = [
  'extension/package.json',
  'extension/dist/extension.js',
  'extension/dist/sidecar.js',
  'extension/dist/ort-worker.js',
  'extension/dist/language-server.js',
  'extension/dist/webview/gallery.js',
  'extension/dist/webview/gallery.css',
  'extension/data/clip-tokenizer/vocab.json',
  'extension/data/clip-tokenizer/merges.txt',
  'extension/data/world-sd/model_index.json',
  'extension/data/world-sd/unet/diffusion_pytorch_model.safetensors',
  'extension/syntaxes/dreambooth.tmLanguage.json',
  'extension/node_modules/onnxruntime-node/package.json',
  'extension/node_modules/sharp/package.json',
];
const FORBIDDEN = [/^extension\/fixtures\//, /^extension\/test\//, /^extension\/examples\//, /^extension\/(extension|sidecar|language|webview|protocol)\//, /^extension\/\.cache\//, /^extension\/[^/]+\.ts$/, /\.map$/];

/** File names in a zip, read from its central directory (no dependency needed). */
export function zipEntries(file: string): string[] {
  const buf = readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65_535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file (no end-of-central-directory record)`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${n} at byte ${at}`);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    names.push(buf.toString('utf8', at + 46, at + 46 + nameLen));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

/** Throws with every problem found, or returns the number of files. */
export function checkVsix(file: string): number {
  const names = zipEntries(file);
  const set = new Set(names);
  const problems = [
    ...REQUIRED.filter((f) => !set.has(f)).map((f) => `missing ${f}`),
    ...names.filter((n) => FORBIDDEN.some((re) => re.test(n))).slice(0, 20).map((n) => `should not ship ${n}`),
  ];
  if (problems.length) throw new Error(`${file}:\n  ${problems.join('\n  ')}`);
  return names.length;
}

export function packageVsix(out: string): void {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-rewrite-relative-links', '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

if (import.meta.filename === process.argv[1]) {
  const file = process.argv[2] ?? join(ROOT, 'dreambooth-vscode.vsix');
  const n = checkVsix(file);
  console.log(`${file}: ${n} files; bundles, tokenizer, grammar and native modules present; no sources, tests or fixtures`);
}
