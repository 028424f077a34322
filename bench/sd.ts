// SD 1.5 at its real size with random weights shaped by fixtures/sd15-keys.json (the same shapes the
// peer's diffusers models have): one UNet denoising step at batch 2 (classifier-free guidance), the VAE
// decode of one 64×64 latent to 512×512, and the CLIP text encoder at batch 2. Weights are streamed to
// a .safetensors in the cache folder once, referenced in place as ONNX external data, and staged with
// hard links, exactly as a user's checkpoint is.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Graph } from '../sidecar/graph/graph';
import { toHalfBits } from '../sidecar/onnx/values';
import { emitModel, type WeightDType as StoredDType } from '../sidecar/onnx/emit';
import { parseClipTextConfig, parseUNetConfig, parseVaeConfig } from '../sidecar/models/configs';
import type { JsonObject } from '../sidecar/models/config-check';
import { buildUNet } from '../sidecar/models/unet_2d_condition';
import { buildVaeDecoder } from '../sidecar/models/autoencoder_kl';
import { buildTextEncoder } from '../sidecar/models/clip_text_model';
import { stageModel } from '../sidecar/runtime/stage';
import type { HostTensor, Runtime } from '../sidecar/runtime/runtime';
import { COMPONENT_LOAD, componentSource, runtimeKernels } from '../sidecar/pipeline/components';
import { openCheckpoint } from '../sidecar/weights/checkpoint';
import { writeSd15Folder } from './sd15-folder';
import { readSafetensorsIndex } from '../sidecar/weights/safetensors';
import type { BenchCase, CaseOptions, Timed } from './case';
import { randomParam, writeRandomSafetensors, type WeightDType } from './random-weights';

const MANIFEST = join(__dirname, '..', 'fixtures', 'sd15-keys.json');
type Component = 'unet' | 'vae' | 'text_encoder';
interface Manifest {
  configs: Record<Component, JsonObject>;
  diffusers: Record<Component, Record<string, { shape: number[]; dtype: string }>>;
}
const manifest = (): Manifest => JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest;

function randomTensor(dims: number[], dtype: WeightDType, seed: number, scale = 1): HostTensor {
  const n = dims.reduce((a, d) => a * d, 1);
  const f = new Float32Array(randomParam(`input${seed}`, [n, 1], 'float32', seed).buffer).map((v) => v * scale);
  return dtype === 'float32' ? { dtype, dims, data: f } : { dtype, dims, data: Uint16Array.from(f, toHalfBits) };
}

/** Emits `graph` with its weights pointing into a random-weight .safetensors of `component`, staged. */
async function stageComponent(component: Component, graph: Graph, dtype: WeightDType, opts: CaseOptions) {
  const shapes: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(manifest().diffusers[component])) if (v.dtype === 'F32') shapes[k] = v.shape;
  const path = join(opts.cacheDir, `sd15-random-${component}-${dtype}.safetensors`);
  await writeRandomSafetensors(path, shapes, dtype);
  const index = await readSafetensorsIndex(path);
  const t0 = performance.now();
  const { bytes, externalFiles } = emitModel(graph, {
    weights: (name) => {
      const e = index.tensors.get(name);
      if (!e) throw new Error(`bench: ${component} parameter "${name}" is not in ${path}`);
      return { kind: 'file', path, offset: index.dataStart + e.begin, length: e.end - e.begin, dtype: e.dtype as StoredDType };
    },
  });
  const source = await stageModel(bytes, externalFiles, join(opts.cacheDir, 'staged'));
  return { source, emitS: (performance.now() - t0) / 1000 };
}

function sdCase(name: string, what: string, build: (dtype: WeightDType, opts: CaseOptions) => Promise<Timed>, dtype: WeightDType): BenchCase {
  return { name, what, prepare: (opts) => build(dtype, opts) };
}

async function unet(dtype: WeightDType, opts: CaseOptions): Promise<Timed> {
  const t0 = performance.now();
  const graph = buildUNet(parseUNetConfig(manifest().configs.unet, MANIFEST), { batch: 2, height: 64, width: 64, dtype });
  const buildS = (performance.now() - t0) / 1000;
  const { source, emitS } = await stageComponent('unet', graph, dtype, opts);
  return {
    source,
    buildS: buildS + emitS,
    gflop: 1354,
    feeds: unetFeeds(dtype),
  };
}

/** One UNet step's inputs at batch 2 (classifier-free guidance), 64×64 latents, 77 text tokens. */
const unetFeeds = (dtype: WeightDType): Record<string, HostTensor> => ({
  sample: randomTensor([2, 4, 64, 64], dtype, 1),
  timestep: { dtype: 'float32', dims: [2], data: Float32Array.from([500, 500]) },
  encoder_hidden_states: randomTensor([2, 77, 768], dtype, 2),
});

async function vaeDecode(dtype: WeightDType, opts: CaseOptions): Promise<Timed> {
  const t0 = performance.now();
  const cfg = parseVaeConfig(manifest().configs.vae, MANIFEST);
  const graph = buildVaeDecoder(cfg, { batch: 1, height: 64, width: 64, dtype, latentScale: 1 / cfg.scaling_factor });
  const buildS = (performance.now() - t0) / 1000;
  const { source, emitS } = await stageComponent('vae', graph, dtype, opts);
  return { source, buildS: buildS + emitS, gflop: 2480, feeds: { latents: randomTensor([1, 4, 64, 64], dtype, 3, 0.18215) } };
}

async function clipText(dtype: WeightDType, opts: CaseOptions): Promise<Timed> {
  const t0 = performance.now();
  const graph = buildTextEncoder(parseClipTextConfig(manifest().configs.text_encoder, MANIFEST), { batch: 2, dtype });
  const buildS = (performance.now() - t0) / 1000;
  const { source, emitS } = await stageComponent('text_encoder', graph, dtype, opts);
  // As the peer: bos, 19 tokens, then eos as padding.
  const ids = new BigInt64Array(2 * 77).map((_, i) => BigInt(i % 77 === 0 ? 49406 : i % 77 < 20 ? 3 + ((i * 7919) % 49000) : 49407));
  return { source, buildS: buildS + emitS, feeds: { input_ids: { dtype: 'int64', dims: [2, 77], data: ids } } };
}

/** The UNet step as `generate` opens it: weights read in place from a diffusers folder stored in `stored`
 *  (float16 as SD 1.5's fp16 variant ships, or float32), float32 compute, the component loader's session
 *  settings (per-use upcasts, blocked filters where the CPU has the kernels, the arena). */
async function unetAsStored(stored: WeightDType, opts: CaseOptions, rt: Runtime): Promise<Timed> {
  const dir = await writeSd15Folder(join(opts.cacheDir, stored === 'float16' ? 'sd15-fp16' : 'sd15-fp32'), stored);
  const t0 = performance.now();
  const ckpt = await openCheckpoint(dir);
  const graph = buildUNet(ckpt.unet, { batch: 2, height: 64, width: 64, dtype: 'float32' });
  const source = await componentSource(graph, ckpt.weights.unet, { ...runtimeKernels(rt), cacheDir: join(opts.cacheDir, 'staged') });
  return { source, load: COMPONENT_LOAD(graph.name), buildS: (performance.now() - t0) / 1000, gflop: 1354, feeds: unetFeeds('float32') };
}

export const SD_CASES: BenchCase[] = [
  sdCase('unet_fp32', 'SD 1.5 UNet, one step, latents [2,4,64,64], text [2,77,768], float32', unet, 'float32'),
  sdCase('unet_fp16', 'SD 1.5 UNet, one step, as unet_fp32 in float16 (weights and compute)', unet, 'float16'),
  sdCase('vae_decode', 'SD 1.5 VAE decode [1,4,64,64] → [1,3,512,512], float32', vaeDecode, 'float32'),
  sdCase('vae_decode_fp16', 'SD 1.5 VAE decode as vae_decode in float16', vaeDecode, 'float16'),
  sdCase('clip_text', 'SD 1.5 CLIP text encoder, ids [2,77], float32', clipText, 'float32'),
  { name: 'unet_stored_fp16', what: 'SD 1.5 UNet step as generate runs it: float16 weights as stored, float32 compute', prepare: (o, rt) => unetAsStored('float16', o, rt) },
  { name: 'unet_stored_fp32', what: 'unet_stored_fp16 with the same weights stored as float32 (issue 9 item 2: as fast per step)', prepare: (o, rt) => unetAsStored('float32', o, rt) },
];
