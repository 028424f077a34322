// The package check (test/e2e/vsix.ts) that the e2e suite runs on the real package: here it is shown to
// catch what it is for, on hand-made zips — another platform's native binary, a missing one, sources.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkVsix, REQUIRED as MUST_SHIP, vsixTarget } from '../e2e/vsix';
import { zipBytes } from '../weights/torch-writer';

const dir = mkdtempSync(join(tmpdir(), 'vsix-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Every file a package must hold, as the check lists them (without the zip's `extension/` folder).
const REQUIRED = MUST_SHIP.map((f) => f.replace(/^extension\//, ''));
const LINUX = ['node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node', 'node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node', 'node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so'];

function vsix(name: string, files: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, zipBytes(files.map((f) => ({ name: `extension/${f}`, data: new Uint8Array([1]) }))));
  return path;
}

test('a linux-x64 package with only its own binaries passes', () => {
  const file = vsix('ok-linux-x64.vsix', [...REQUIRED, ...LINUX]);
  assert.equal(vsixTarget(file), 'linux-x64');
  assert.equal(checkVsix(file, 'linux-x64'), REQUIRED.length + LINUX.length);
});

test('another platform\'s ONNX Runtime or sharp binary, a missing own binary, or a source file fails, each named', () => {
  const file = vsix('bad-linux-x64.vsix', [...REQUIRED, LINUX[0]!, 'node_modules/onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime.dll', 'node_modules/@img/sharp-darwin-arm64/lib/sharp.node', 'sidecar/main.ts']);
  assert.throws(() => checkVsix(file, 'linux-x64'), (e: Error) => {
    assert.match(e.message, /another platform's binary: .*win32\/x64\/onnxruntime\.dll/);
    assert.match(e.message, /another platform's binary: .*sharp-darwin-arm64/);
    assert.match(e.message, /no sharp binary for linux-x64/);
    assert.match(e.message, /should not ship extension\/sidecar\/main\.ts/);
    return true;
  });
});
