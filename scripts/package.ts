// Per-platform .vsix packages: `node --import tsx scripts/package.ts [--target T ...|--all] [--out DIR]`.
// Each package carries only its platform's native binaries — ONNX Runtime's from onnxruntime-node's
// bin/napi-v6/<os>/<arch>, sharp's from @img/sharp-<target> (+ libvips) fetched from the npm registry
// when the target is not this machine's — instead of one universal package with every platform's.
// The package is built in a staging folder (the repository's node_modules is never changed); its
// checks (contents, no other platform's binaries, size budget) are test/e2e/vsix.ts's.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
/** vsce target → ONNX Runtime's bin folder and sharp's package suffix (ONNX Runtime ships no darwin-x64). */
export const TARGETS: Record<string, { ort: string; sharp: string; libvips: boolean }> = {
  'linux-x64': { ort: 'linux/x64', sharp: 'linux-x64', libvips: true },
  'linux-arm64': { ort: 'linux/arm64', sharp: 'linux-arm64', libvips: true },
  'darwin-arm64': { ort: 'darwin/arm64', sharp: 'darwin-arm64', libvips: true },
  'win32-x64': { ort: 'win32/x64', sharp: 'win32-x64', libvips: false },
  'win32-arm64': { ort: 'win32/arm64', sharp: 'win32-arm64', libvips: false },
};
/** What an installed extension runs from (see .vscodeignore for what is left out inside them). */
const RUNTIME_ENTRIES = ['package.json', 'README.md', 'LICENSE', 'dist', 'data', 'syntaxes', 'bin', 'images', 'models', '.vscodeignore'];

export function hostTarget(): string {
  return `${process.platform}-${process.arch}`;
}

/** The production dependency folders (relative), without sharp's platform packages. */
function productionDeps(): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\n').map((p) => relative(ROOT, p.trim())).filter((p) => p.startsWith('node_modules') && !/node_modules\/@img\/sharp-/.test(p));
}

/** @img/<name> for `target`: from node_modules when installed (this machine's), else from the registry. */
function sharpPackage(name: string, version: string, into: string, tmp: string): void {
  const local = join(ROOT, 'node_modules', '@img', name);
  const dest = join(into, 'node_modules', '@img', name);
  if (existsSync(local)) return cpSync(local, dest, { recursive: true });
  // Another platform's: npm's tarball, as `npm install --os --cpu` would fetch it.
  const file = execFileSync('npm', ['pack', `@img/${name}@${version}`, '--pack-destination', tmp, '--silent'], { cwd: tmp, encoding: 'utf8' }).trim().split('\n').at(-1) ?? '';
  const unpacked = join(tmp, name);
  mkdirSync(unpacked, { recursive: true });
  execFileSync('tar', ['-xzf', join(tmp, file), '-C', unpacked]);
  renameSync(join(unpacked, 'package'), dest);
}

/** Builds `<out>/dreambooth-vscode-<target>.vsix`; returns its path. */
export function packageTarget(target: string, out: string): string {
  const t = TARGETS[target];
  if (!t) throw new Error(`unknown target "${target}"; targets: ${Object.keys(TARGETS).join(', ')}`);
  const stage = mkdtempSync(join(tmpdir(), `dreambooth-vsix-${target}-`));
  try {
    for (const e of RUNTIME_ENTRIES) if (existsSync(join(ROOT, e))) cpSync(join(ROOT, e), join(stage, e), { recursive: true });
    for (const dep of productionDeps()) cpSync(join(ROOT, dep), join(stage, dep), { recursive: true, filter: (src) => !src.slice(join(ROOT, dep).length).includes('/node_modules/') });
    const sharpOptional = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'sharp', 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> }).optionalDependencies;
    mkdirSync(join(stage, 'node_modules', '@img'), { recursive: true });
    const names = [`sharp-${t.sharp}`, ...(t.libvips ? [`sharp-libvips-${t.sharp}`] : [])];
    for (const name of names) {
      const version = sharpOptional[`@img/${name}`];
      if (!version) throw new Error(`sharp ${name}: not one of sharp's platform packages`);
      sharpPackage(name, version, stage, stage);
    }
    // Only this platform's ONNX Runtime binaries.
    const bins = join(stage, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
    for (const os of readdirSync(bins)) for (const arch of readdirSync(join(bins, os))) if (`${os}/${arch}` !== t.ort) rmSync(join(bins, os, arch), { recursive: true });
    for (const f of readdirSync(stage)) if (f.endsWith('.tgz') || (f !== 'node_modules' && !RUNTIME_ENTRIES.includes(f))) rmSync(join(stage, f), { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const vsix = join(out, `dreambooth-vscode-${target}.vsix`);
    execFileSync(process.execPath, [join(ROOT, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-rewrite-relative-links', '--target', target, '--out', vsix], { cwd: stage, stdio: ['ignore', 'ignore', 'inherit'] });
    return vsix;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (import.meta.filename === process.argv[1]) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = (outAt >= 0 ? args[outAt + 1] : undefined) ?? join(ROOT, 'out');
  const targets = args.includes('--all') ? Object.keys(TARGETS) : args.flatMap((a, i) => (args[i - 1] === '--target' ? [a] : []));
  for (const target of targets.length ? targets : [hostTarget()]) console.log(packageTarget(target, out));
}
