// The one test command. `node scripts/test.mjs [suite...]` runs the named suites (default: all),
// in order, stopping at the first failure. Each suite is a command; tests assert behaviour,
// speed lives in `npm run bench`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir, exclude) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (!exclude.includes(name)) out.push(...findTests(p, exclude));
    } else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const node = process.execPath;
const suites = {
  typecheck: [[node, 'node_modules/typescript/bin/tsc', '-p', '.']],
  build: [[node, 'scripts/build.mjs']],
  unit: [[node, '--import', 'tsx', '--test', '--test-reporter=spec', ...findTests('test', ['e2e', 'fixtures'])]],
  grammar: [[node, 'node_modules/vscode-tmgrammar-test/dist/unit.js', '-g', 'syntaxes/dreambooth.tmLanguage.json', 'test/grammar/*.dreambooth']],
  conformance: [[node, '--import', 'tsx', 'test/conformance/run.ts', '--strict', 'fixtures/tiny-sd']],
  e2e: [[node, '--import', 'tsx', 'test/e2e/run.ts']],
};

const wanted = process.argv.slice(2);
const order = wanted.length ? wanted : Object.keys(suites);
for (const name of order) {
  const cmds = suites[name];
  if (!cmds) {
    console.error(`unknown suite "${name}"; suites: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  for (const [cmd, ...args] of cmds) {
    console.log(`\n=== ${name}: ${[cmd === node ? 'node' : cmd, ...args].join(' ').slice(0, 200)}`);
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`\n✗ suite "${name}" failed (exit ${r.status ?? r.signal})`);
      process.exit(1);
    }
  }
}
console.log(`\n✓ all suites passed: ${order.join(', ')}`);
