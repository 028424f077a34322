// Puts the extension into a fresh extensions folder the way an installed .vsix lays it out: the
// manifest and runtime folders are copied; node_modules (native modules) is linked, not copied.
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths';

const RUNTIME_ENTRIES = ['package.json', 'dist', 'syntaxes', 'data', 'bin', 'README.md'];
const REQUIRED = ['dist/extension.js', 'dist/sidecar.js', 'dist/webview/gallery.js'];

export function stageExtension(extensionsDir: string): string {
  for (const f of REQUIRED) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: build first (npm run build)`);
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const dir = join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  mkdirSync(dir, { recursive: true });
  for (const entry of RUNTIME_ENTRIES) {
    if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}
