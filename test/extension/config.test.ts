// Settings are hand-edited JSON: every field falls back to its default on a wrong type or value.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULTS, parseConfig } from '../../extension/configValues';

const from = (values: Record<string, unknown>) => parseConfig((k) => values[k]);

test('missing settings give the defaults', () => {
  assert.deepEqual(from({}), DEFAULTS);
});

test('the defaults equal the manifest defaults', () => {
  const props = JSON.parse(readFileSync('package.json', 'utf8')).contributes.configuration.properties;
  assert.deepEqual(props['dreambooth.executionProviders'].default, DEFAULTS.executionProviders);
  assert.equal(props['dreambooth.sidecar.threads'].default, DEFAULTS.sidecarThreads);
  assert.equal(props['dreambooth.defaultModel'].default, DEFAULTS.defaultModel);
  assert.equal(props['dreambooth.gallery.outputFolder'].default, DEFAULTS.galleryOutputFolder);
});

test('valid values pass through', () => {
  const c = from({ executionProviders: ['cpu'], 'sidecar.threads': 4, defaultModel: ' /models/sd15 ', 'gallery.outputFolder': 'out' });
  assert.deepEqual(c, { executionProviders: ['cpu'], sidecarThreads: 4, defaultModel: '/models/sd15', galleryOutputFolder: 'out' });
});

test('providers: unknown names dropped, duplicates removed, nothing left → default', () => {
  assert.deepEqual(from({ executionProviders: ['tpu', 'webgpu', 'cpu', 'webgpu'] }).executionProviders, ['webgpu', 'cpu']);
  assert.deepEqual(from({ executionProviders: ['tpu'] }).executionProviders, DEFAULTS.executionProviders);
  assert.deepEqual(from({ executionProviders: 'cpu' }).executionProviders, DEFAULTS.executionProviders);
});

test('threads: negative, fractional, huge or non-numeric → default', () => {
  for (const bad of [-1, 2.5, 10_000, '4', null, Number.NaN]) {
    assert.equal(from({ 'sidecar.threads': bad }).sidecarThreads, DEFAULTS.sidecarThreads, String(bad));
  }
});

test('model: empty or non-string → default', () => {
  assert.equal(from({ defaultModel: '   ' }).defaultModel, DEFAULTS.defaultModel);
  assert.equal(from({ defaultModel: 42 }).defaultModel, DEFAULTS.defaultModel);
});
