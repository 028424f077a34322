// Checks what a per-platform .vsix (scripts/package.ts) holds: the bundles and runtime data in; sources,
// tests and fixtures out; only its own platform's native binaries (ONNX Runtime, sharp); and its size
// within the budget. `node --import tsx test/e2e/vsix.ts FILE-<target>.vsix...` checks packages.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { TARGETS } from '../../scripts/package';

/** The most a platform's package may weigh (compressed): its ONNX Runtime is 25–90 MB unpacked. */
export const VSIX_BUDGET_BYTES = 48 * 2 ** 20;

export const REQUIRED = [
  'extension/package.json',
  'extension/dist/extension.js',
  'extension/dist/sidecar.js',
  'extension/dist/ort-worker.js',
  'extension/dist/language-server.js',
  'extension/dist/webview/gallery.js',
  'extension/dist/webview/gallery.css',
  'extension/dist/webview/dashboard.js',
  'extension/dist/webview/dashboard.css',
  'extension/dist/webview/prepared.js',
  'extension/dist/webview/prepared.css',
  'extension/data/clip-tokenizer/vocab.json',
  'extension/data/clip-tokenizer/merges.txt',
  'extension/data/world-sd/model_index.json',
  'extension/data/world-sd/unet/diffusion_pytorch_model.safetensors',
  'extension/syntaxes/dreambooth.tmLanguage.json',
  'extension/images/icon.png',
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
export function checkVsix(file: string, target: string): number {
  const t = TARGETS[target];
  if (!t) throw new Error(`${file}: unknown target ${target}`);
  const names = zipEntries(file);
  const set = new Set(names);
  const ortBin = /^extension\/node_modules\/onnxruntime-node\/bin\/napi-v6\/([^/]+\/[^/]+)\//;
  const sharpPkg = /^extension\/node_modules\/@img\/sharp-(?:libvips-)?([^/]+)\//;
  const foreign = names.filter((n) => {
    const ort = ortBin.exec(n)?.[1];
    const sharp = sharpPkg.exec(n)?.[1];
    return (ort !== undefined && ort !== t.ort) || (sharp !== undefined && sharp !== t.sharp);
  });
  const size = statSync(file).size;
  const problems = [
    ...REQUIRED.filter((f) => !set.has(f)).map((f) => `missing ${f}`),
    ...(names.some((n) => ortBin.exec(n)?.[1] === t.ort) ? [] : [`no ONNX Runtime binary for ${t.ort}`]),
    ...(names.some((n) => sharpPkg.exec(n)?.[1] === t.sharp) ? [] : [`no sharp binary for ${t.sharp}`]),
    ...foreign.slice(0, 10).map((n) => `another platform's binary: ${n}`),
    ...names.filter((n) => FORBIDDEN.some((re) => re.test(n))).slice(0, 20).map((n) => `should not ship ${n}`),
    ...(size > VSIX_BUDGET_BYTES ? [`${(size / 2 ** 20).toFixed(1)} MB, over the ${VSIX_BUDGET_BYTES / 2 ** 20} MB budget`] : []),
  ];
  if (problems.length) throw new Error(`${file}:\n  ${problems.join('\n  ')}`);
  return names.length;
}

/** The target a package was built for, from its name (dreambooth-vscode-<target>.vsix). */
export function vsixTarget(file: string): string {
  const target = Object.keys(TARGETS).find((t) => basename(file).endsWith(`-${t}.vsix`));
  if (!target) throw new Error(`${file}: not named for one of the targets ${Object.keys(TARGETS).join(', ')}`);
  return target;
}

if (import.meta.filename === process.argv[1]) {
  for (const file of process.argv.slice(2)) {
    const n = checkVsix(file, vsixTarget(file));
    console.log(`${file}: ${n} files, ${(statSync(file).size / 2 ** 20).toFixed(1)} MB; bundles, tokenizer, grammar and this platform's native modules only; no sources, tests or fixtures`);
  }
}
