// `dreambooth check` as a user runs it: output format, exit codes, and hostile inputs that must give
// diagnostics, never a crash.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

const root = resolve(__dirname, '..', '..');
const LINE = /^(.+):(\d+):(\d+): (error|warning|info): (.+)$/;
let dir: string;

function check(...args: string[]): { code: number | null; out: string[]; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'sidecar', 'cli', 'main.ts'), 'check', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout.split('\n').filter(Boolean), err: r.stderr };
}
const parsed = (lines: string[]) =>
  lines.map((l) => {
    const m = LINE.exec(l);
    assert.ok(m, `not file:line:col: severity: message: ${JSON.stringify(l)}`);
    return { file: m[1]!, line: Number(m[2]), col: Number(m[3]), severity: m[4]!, message: m[5]! }; // (LINE has no optional group)
  });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dreambooth-check-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the example passes (exit 0) with its one info line, path printed as given', () => {
  const r = check('examples/zwx/zwx.dreambooth');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(parsed(r.out), [{ file: 'examples/zwx/zwx.dreambooth', line: 10, col: 9, severity: 'info', message: '"zwx" is 2 CLIP tokens (z·wx); a rare single token such as ohwx, sks, nmwx binds a little more reliably.' }]);
  assert.match(r.err, /1 file\(s\) checked: 0 error\(s\), 0 warning\(s\)/);
});

test('errors exit 1 with 1-based positions; --errors-only drops the rest', () => {
  const f = join(dir, 'bad.dreambooth');
  writeFileSync(f, 'concept dog {\n  instance_prompt "photo of dog"\n  instance_images "./nowhere"\n}\ntrain {\n  stepz 800\n}\n');
  const r = check(f);
  assert.equal(r.code, 1);
  const d = parsed(r.out);
  assert.deepEqual(
    d.map((x) => [x.line, x.col, x.severity]),
    [[1, 9, 'warning'], [3, 19, 'error'], [6, 3, 'error']],
  );
  assert.match(d[2]!.message, /unknown key "stepz" in a train block; did you mean steps\?/);
  const e = check('--errors-only', f);
  assert.equal(e.code, 1);
  assert.deepEqual(parsed(e.out).map((x) => x.severity), ['error', 'error']);
});

test('hostile inputs all get diagnostics, in one run, without a crash', () => {
  const files: Record<string, string | Uint8Array> = {
    'binary.dreambooth': Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256),
    'empty.dreambooth': '',
    'huge.dreambooth': Buffer.alloc(5 * 1024 * 1024, 'steps 5\n'),
    'big.dreambooth': 'stepz 5\n'.repeat(100_000),
    'unterminated.dreambooth': 'model "runwayml/stable-diffusion-v1-5\n',
    'deep.dreambooth': '{'.repeat(50_000),
    'latin1.dreambooth': Buffer.from('generate g {\n  prompt "caf\xe9"\n}\n', 'latin1'),
    'crlf-bom.dreambooth': '\ufeffgenerate g {\r\n  prompt "x"\r\n  sampler eulr\r\n}\r\n',
    'bom-first-line.dreambooth': '\ufeffmodle "x/y"\n',
  };
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  mkdirSync(join(dir, 'folder.dreambooth'));
  const names = [...Object.keys(files), 'folder.dreambooth', 'missing.dreambooth'];
  const r = check(...names.map((n) => join(dir, n)));
  assert.equal(r.code, 1, r.err);
  assert.doesNotMatch(r.err, /internal error/);
  const d = parsed(r.out.filter((l) => !l.includes('… and')));
  const first = (n: string) => d.find((x) => x.file === join(dir, n));
  for (const n of names) assert.ok(first(n), `no diagnostic for ${n}`);
  assert.match(first('binary.dreambooth')!.message, /binary file/);
  assert.equal(first('empty.dreambooth')!.severity, 'info');
  assert.match(first('huge.dreambooth')!.message, /is 5\.0 MiB/);
  assert.equal(d.filter((x) => x.file === join(dir, 'big.dreambooth')).length, 200, 'at most 200 lines per file');
  assert.ok(r.out.some((l) => l === `${join(dir, 'big.dreambooth')}: … and 99800 more`));
  assert.match(first('unterminated.dreambooth')!.message, /unterminated string/);
  assert.match(first('deep.dreambooth')!.message, /unexpected "\{"/);
  const latin1 = first('latin1.dreambooth')!;
  assert.deepEqual([latin1.line, latin1.col, latin1.message], [2, 14, 'invalid UTF-8 at byte 26: save the file as UTF-8']);
  assert.deepEqual(
    [first('crlf-bom.dreambooth')!.line, first('crlf-bom.dreambooth')!.col],
    [3, 11],
  );
  assert.deepEqual([first('bom-first-line.dreambooth')!.line, first('bom-first-line.dreambooth')!.col], [1, 1], 'the BOM is not a column');
  assert.match(first('folder.dreambooth')!.message, /is a folder/);
  assert.match(first('missing.dreambooth')!.message, /cannot read: no such file/);
});

test('usage errors exit 2; --help exits 0', () => {
  const none = check();
  assert.equal(none.code, 2);
  assert.match(none.err, /no files given/);
  const bad = check('--frobnicate', 'x');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown option "--frobnicate"/);
  const help = check('--help');
  assert.equal(help.code, 0);
  assert.match(help.out.join('\n'), /usage: dreambooth check/);
});
