// What a user sees from `dreambooth generate`: our progress and the PNG path, and nothing native — no
// Dawn/Vulkan warnings from a WebGPU provider that cannot be used here (it is not even started). The
// CLI restarts itself once with the allocator settings; the child's output is what arrives.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(__dirname, '..', '..');

test('generate prints progress and the image, without native warnings', () => {
  const out = mkdtempSync(join(tmpdir(), 'dreambooth-cli-gen-'));
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'sidecar', 'cli', 'main.ts'), 'generate', '--model', join(root, 'fixtures', 'tiny-sd'), '--prompt', 'a cat', '--steps', '2', '--width', '64', '--height', '64', '--out', out],
    { cwd: root, encoding: 'utf8', timeout: 180_000, env: { ...process.env, DREAMBOOTH_CACHE: join(out, 'cache') } },
  );
  assert.equal(r.status, 0, r.stderr);
  const png = r.stdout.trim().split('\n').pop()!;
  assert.ok(png.endsWith('.png') && existsSync(png), `stdout names the PNG: ${r.stdout}`);
  assert.match(r.stderr, /denoising 2\/2/);
  assert.doesNotMatch(r.stderr, /Vulkan|Dawn|BackendVk|maxDynamicUniformBuffers|onnxruntime:/, 'no native noise on stderr');
  for (const line of r.stderr.trim().split('\n')) assert.match(line, /^(loading model|denoising|decoding|warn: |info: )/, `unexpected line: ${line}`);
});
