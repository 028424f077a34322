// Which repo files an SD 1.x download takes, and how a model spec is read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectPipelineFiles, shardFiles } from '../../sidecar/hub/select';
import { parseHubSpec } from '../../sidecar/hub/spec';
import { defaultCacheDir } from '../../sidecar/hub/cache';

const BASE = ['model_index.json', 'scheduler/scheduler_config.json', 'tokenizer/vocab.json', 'tokenizer/merges.txt', 'unet/config.json', 'vae/config.json', 'text_encoder/config.json'];

describe('selectPipelineFiles', () => {
  it('takes the non-variant safetensors when there is no fp16 variant, and the sharded index when that is all', () => {
    const s = selectPipelineFiles('o/r', [
      ...BASE,
      'unet/diffusion_pytorch_model.safetensors.index.json',
      'unet/diffusion_pytorch_model-00001-of-00002.safetensors',
      'unet/diffusion_pytorch_model-00002-of-00002.safetensors',
      'unet/diffusion_pytorch_model.bin',
      'vae/diffusion_pytorch_model.safetensors',
      'vae/diffusion_pytorch_model.bin',
      'text_encoder/model.safetensors',
      'text_encoder/model.fp16.safetensors',
    ]);
    assert.deepEqual(s.shardIndexes, ['unet/diffusion_pytorch_model.safetensors.index.json']);
    assert.deepEqual(s.files.filter((f) => /safetensors/.test(f)).sort(), [
      'text_encoder/model.fp16.safetensors',
      'unet/diffusion_pytorch_model.safetensors.index.json',
      'vae/diffusion_pytorch_model.safetensors',
    ]);
  });

  it('reads the shards from the index weight_map', () => {
    const json = { weight_map: { a: 'm-00001-of-00002.safetensors', b: 'm-00002-of-00002.safetensors', c: 'm-00001-of-00002.safetensors' } };
    assert.deepEqual(shardFiles('unet/m.safetensors.index.json', json), ['unet/m-00001-of-00002.safetensors', 'unet/m-00002-of-00002.safetensors']);
    assert.throws(() => shardFiles('unet/i.json', { weight_map: { a: '../x.safetensors' } }), /bad shard file name/);
    assert.throws(() => shardFiles('unet/i.json', { weight_map: { a: 'x.bin' } }), /bad shard file name/);
  });

  it('points a repo of single-file checkpoints to the file form', () => {
    assert.throws(() => selectPipelineFiles('o/r', ['v1-5-pruned-emaonly.safetensors', 'README.md']), /not a diffusers pipeline .*"o\/r\/v1-5-pruned-emaonly\.safetensors"/);
  });
});

describe('parseHubSpec', () => {
  it('reads repo, revision and file', () => {
    assert.deepEqual(parseHubSpec('runwayml/stable-diffusion-v1-5'), { repo: 'runwayml/stable-diffusion-v1-5', revision: undefined });
    assert.deepEqual(parseHubSpec('a/b@refs/pr/3'), { repo: 'a/b', revision: 'refs/pr/3' });
    assert.deepEqual(parseHubSpec('a/b/sub/m.safetensors@v1'), { repo: 'a/b', revision: 'v1', file: 'sub/m.safetensors' });
  });
  it('leaves paths and non-ids alone', () => {
    for (const s of ['/abs/model', './rel/model', '../up', '~/m', 'C:\\models\\x', 'models\\x', 'single', 'a--b/c', '-a/b']) assert.equal(parseHubSpec(s), undefined, s);
    assert.throws(() => parseHubSpec('a/b/../c.safetensors'), /bad file path/);
  });
});

describe('defaultCacheDir', () => {
  it('follows huggingface_hub: HF_HUB_CACHE, then HF_HOME/hub, then XDG/home', () => {
    assert.equal(defaultCacheDir({ HF_HUB_CACHE: '/c', HF_HOME: '/h' }), '/c');
    assert.equal(defaultCacheDir({ HF_HOME: '/h' }), '/h/hub');
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x' }), '/x/huggingface/hub');
  });
});
