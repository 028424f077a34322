// DreamBooth LoRA training at SD 1.5's real size, as the product runs it: the model is an SD 1.5-sized
// random diffusers folder in float16 (bench/sd15-folder.ts), the step one instance + one class example
// at 512² (latents 64×64), LoRA rank 4 on to_q/k/v/out, prior loss, clipping at 1.0, AdamW — one graph
// run per step, weights resident as stored, recomputation chosen by the product's memory plan for this
// machine. The peer's counterpart is bench_peer.py's lora_train64.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { COMPONENT_LOAD, componentSource, runtimeKernels } from '../sidecar/pipeline/components';
import { memoryBudget, formatGiB } from '../sidecar/runtime/memory';
import type { HostTensor, Runtime } from '../sidecar/runtime/runtime';
import { freshLoraWeights } from '../sidecar/training/init';
import { ATTENTION_TARGETS } from '../sidecar/training/lora';
import { planTrainMemory, type StepShape } from '../sidecar/training/memory-plan';
import { STEP_IO } from '../sidecar/training/step-graph';
import { openCheckpoint } from '../sidecar/weights/checkpoint';
import type { BenchCase, CaseOptions, Timed } from './case';
import { randomParam } from './random-weights';
import { writeSd15Folder } from './sd15-folder';

const f32 = (name: string, dims: number[], seed: number, scale = 1): HostTensor => ({
  dtype: 'float32',
  dims,
  data: new Float32Array(randomParam(name, [dims.reduce((a, b) => a * b, 1), 1], 'float32', seed).buffer).map((v) => v * scale),
});

async function loraTrainSd15(opts: CaseOptions, rt: Runtime, mixedPrecision?: 'fp16'): Promise<Timed> {
  const dir = await writeSd15Folder(join(opts.cacheDir, 'sd15-fp16'));
  const t0 = performance.now();
  const ckpt = await openCheckpoint(dir);
  const shape: StepShape = { instanceBatch: 1, classBatch: 1, height: 64, width: 64, lora: { rank: 4, alpha: 4, targets: ATTENTION_TARGETS }, priorLossWeight: 1, adam: { maxGradNorm: 1 }, mixedPrecision };
  const weightBytes = [...ckpt.weights.unet.tensors.values()].reduce((n, r) => n + r.length, 0);
  const plan = planTrainMemory(ckpt.unet, shape, weightBytes, memoryBudget());
  const spec = plan.step;
  const load = { ...runtimeKernels(rt), cacheDir: join(opts.cacheDir, 'staged'), training: true };
  const source = await componentSource(spec.graph, ckpt.weights.unet, load);
  const latent = [2, 4, 64, 64];
  const feeds: Record<string, HostTensor> = {
    [STEP_IO.sample]: f32('sample', latent, 1),
    [STEP_IO.timestep]: { dtype: 'float32', dims: [2], data: Float32Array.of(500, 700) },
    [STEP_IO.context]: f32('context', [2, 77, 768], 2),
    [STEP_IO.target]: f32('target', latent, 3),
    [STEP_IO.lossWeights]: { dtype: 'float32', dims: [1], data: Float32Array.of(1) },
    [spec.adam.lr]: { dtype: 'float32', dims: [], data: Float32Array.of(1e-4) },
    [spec.adam.step]: { dtype: 'float32', dims: [], data: Float32Array.of(1) },
    ...(mixedPrecision ? { [STEP_IO.lossScale]: { dtype: 'float32', dims: [], data: Float32Array.of(2 ** 16) } } : {}),
  };
  const init = freshLoraWeights(spec.modules, 42);
  for (const [i, m] of spec.modules.flatMap((x) => [x.down, x.up]).entries()) {
    const slot = spec.adam.slots[i]!;
    const dims = m.shape as number[];
    feeds[slot.param] = { dtype: 'float32', dims, data: init.get(m.name)! };
    feeds[slot.m] = { dtype: 'float32', dims, data: new Float32Array(init.get(m.name)!.length) };
    feeds[slot.v] = { dtype: 'float32', dims, data: new Float32Array(init.get(m.name)!.length) };
  }
  const note = `checkpointing ${plan.checkpointing}; estimated ${formatGiB(plan.estimateBytes)} of ${formatGiB(plan.budget.bytes)} (${plan.budget.source})`;
  return { source, load: COMPONENT_LOAD(spec.graph.name, load), feeds, buildS: (performance.now() - t0) / 1000, note };
}

export const TRAIN_CASES: BenchCase[] = [
  { name: 'lora_train_sd15', what: 'DreamBooth LoRA step at SD 1.5 size: 512², instance + class, rank 4, prior loss, clipping, AdamW; float16 weights as stored', prepare: (o, rt) => loraTrainSd15(o, rt) },
  { name: 'lora_train_sd15_fp16', what: 'lora_train_sd15 with mixed_precision fp16 (float16 compute, loss scale 2^16): a GPU setting', prepare: (o, rt) => loraTrainSd15(o, rt, 'fp16') },
];
