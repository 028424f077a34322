// Trains the recogniser in-project: the forward graph, the summed cross-entropy of every head, its
// backward graph (autodiff/) and AdamW (optim/) are one ONNX graph, run once per step in the runtime
// worker with weights and moments kept there between steps. Data: world scenes rendered once, one in
// ten the subject and one in ten an image with no object (smooth colour noise, noise.ts), so the shape
// head's classes are balanced; per step a little pixel noise and, on a quarter of the batch, a blur,
// so the heads do not depend on the renderer's exact colours and edges (every generated image has
// passed through a VAE decoder).
import { grad } from '../../sidecar/autodiff/grad';
import { Graph } from '../../sidecar/graph/graph';
import * as nn from '../../sidecar/graph/nn';
import * as op from '../../sidecar/graph/ops';
import type { Value } from '../../sidecar/graph/types';
import { emitModel } from '../../sidecar/onnx/emit';
import { adamw, type AdamWGraph } from '../../sidecar/optim/adamw';
import { type DeviceTensor, type HostTensor, isDeviceTensor, openRuntime } from '../../sidecar/runtime/runtime';
import { renderItems } from '../generator/dataset';
import type { Scene } from '../generator/scene';
import { HEAD_NAMES, HEADS, labelsOf, NO_LABEL, unrecognisableLabels } from './heads';
import { blur, noiseImage } from './noise';
import { buildRecogniser, IMAGE_SIZE, initialWeights, recogniserParams, toInput } from './model';

export interface TrainOptions {
  /** World seed of the training images (held-out tests use other seeds). */
  seed: number;
  images: number;
  steps: number;
  batch: number;
  lr: number;
  onLog?: (step: number, loss: number, accuracy: number, seconds: number) => void;
}

export const DEFAULT_TRAINING: TrainOptions = { seed: 1000, images: 18000, steps: 3000, batch: 64, lr: 2e-3 };
/** The subject's and the unrecognisable class's share of the training images: 1 of the shape head's classes each. */
export const SUBJECT_SHARE = 1 / HEADS.shape.length;
export const UNRECOGNISABLE_SHARE = 1 / HEADS.shape.length;

interface StepGraph {
  graph: Graph;
  adam: AdamWGraph;
  loss: string;
  logits: string;
}

function buildStep(batch: number): StepGraph {
  const g = new Graph('recogniser_train');
  const r = buildRecogniser(g, batch, { trainable: true });
  const losses: Value[] = HEAD_NAMES.map((h) => nn.crossEntropy(r.logits[h], g.input(`target.${h}`, 'float32', [batch, HEADS[h].length])));
  const loss = losses.reduce((a, b) => op.Add(a, b));
  g.output(loss, 'loss');
  g.output(r.logits.shape, 'logits.shape');
  const adam = adamw(g, r.params, grad(loss, r.params), { weightDecay: 1e-4, maxGradNorm: 5 });
  return { graph: g, adam, loss: 'loss', logits: 'logits.shape' };
}

/** NO_LABEL gives a zero row: that item adds nothing to the head's loss. */
function oneHot(labels: number[], classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => l !== NO_LABEL && (out[i * classes + l] = 1));
  return out;
}

/** Linear warm-up over the first 5%, constant, then linear decay to zero over the last 40%. */
function lrAt(step: number, o: TrainOptions): number {
  const warm = Math.max(1, Math.round(o.steps * 0.05));
  const decay = Math.round(o.steps * 0.6);
  if (step < warm) return (o.lr * (step + 1)) / warm;
  if (step < decay) return o.lr;
  return (o.lr * (o.steps - step)) / (o.steps - decay);
}

export async function trainRecogniser(o: TrainOptions): Promise<Map<string, Float32Array>> {
  const { scenes, pixels } = await renderItems(o.seed, o.images, IMAGE_SIZE, { subjectShare: SUBJECT_SHARE });
  const noiseEvery = Math.round(1 / UNRECOGNISABLE_SHARE);
  const isNoise = (i: number) => i % noiseEvery === 0;
  const per = 3 * IMAGE_SIZE * IMAGE_SIZE;
  for (let i = 0; i < o.images; i++) if (isNoise(i)) pixels.set(noiseImage(o.seed, i, IMAGE_SIZE), i * per);
  const inputs = toInput(pixels, o.images);
  const labels = scenes.map((s, i) => (isNoise(i) ? unrecognisableLabels() : labelsOf(s)));
  const step = buildStep(o.batch);
  const { bytes } = emitModel(step.graph);
  const rt = await openRuntime({ providers: ['cpu'] });
  try {
    const session = await rt.load({ bytes }, { name: 'recogniser_train' });
    const f32 = (data: Float32Array, dims: number[]): HostTensor => ({ dtype: 'float32', dims, data });
    let state: Record<string, HostTensor | DeviceTensor> = {};
    for (const [name, w] of initialWeights(o.seed)) {
      const dims = recogniserParams().find((p) => p.name === name)!.shape;
      state[name] = f32(w, dims);
      state[`${name}.adam_m`] = f32(new Float32Array(w.length), dims);
      state[`${name}.adam_v`] = f32(new Float32Array(w.length), dims);
    }
    let order: number[] = [];
    let noise = o.seed * 7919 + 1;
    const gauss = () => {
      noise = (Math.imul(noise, 1664525) + 1013904223) >>> 0;
      const u1 = (noise + 1) / 2 ** 32;
      noise = (Math.imul(noise, 1664525) + 1013904223) >>> 0;
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos((2 * Math.PI * noise) / 2 ** 32);
    };
    const t0 = Date.now();
    for (let s = 0; s < o.steps; s++) {
      if (order.length < o.batch) order = shuffled(o.images, o.seed + s);
      const pick = order.splice(0, o.batch);
      const x = new Float32Array(o.batch * per);
      pick.forEach((j, b) => {
        const sigma = 0.1 * (b % 3) * Math.abs(gauss());
        for (let k = 0; k < per; k++) x[b * per + k] = inputs[j * per + k]! + (sigma && sigma * gauss());
        if (b % 4 === 3) blur(x.subarray(b * per, (b + 1) * per), IMAGE_SIZE, 1 + (b % 8 === 7 ? 1 : 0));
      });
      const feeds: Record<string, HostTensor | DeviceTensor> = {
        ...state,
        image: f32(x, [o.batch, 3, IMAGE_SIZE, IMAGE_SIZE]),
        [step.adam.lr]: f32(Float32Array.of(lrAt(s, o)), []),
        [step.adam.step]: f32(Float32Array.of(s + 1), []),
      };
      for (const h of HEAD_NAMES) feeds[`target.${h}`] = f32(oneHot(pick.map((j) => labels[j]![h]), HEADS[h].length), [o.batch, HEADS[h].length]);
      const keep = step.adam.slots.flatMap((sl) => [sl.paramOut, sl.mOut, sl.vOut]);
      const out = await session.run(feeds, { keepOnDevice: keep });
      const old = Object.values(state).filter(isDeviceTensor);
      if (old.length) await rt.release(...old);
      state = {};
      for (const sl of step.adam.slots) {
        state[sl.param] = out[sl.paramOut]!;
        state[sl.m] = out[sl.mOut]!;
        state[sl.v] = out[sl.vOut]!;
      }
      if (s % 50 === 0 || s === o.steps - 1) {
        const loss = (out[step.loss] as HostTensor).data[0] as number;
        const logits = (out[step.logits] as HostTensor).data as Float32Array;
        const n = HEADS.shape.length;
        const right = pick.filter((j, b) => argmax(logits.subarray(b * n, (b + 1) * n)) === labels[j]!.shape).length;
        o.onLog?.(s + 1, loss, right / o.batch, (Date.now() - t0) / 1000);
      }
    }
    const weights = new Map<string, Float32Array>();
    for (const sl of step.adam.slots) {
      const t = state[sl.param]!;
      weights.set(sl.param, Float32Array.from((isDeviceTensor(t) ? await rt.download(t) : t).data as Float32Array));
    }
    await session.release();
    return weights;
  } finally {
    await rt.close();
  }
}

export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
function shuffled(n: number, seed: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  let s = (seed * 2654435761) >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = Math.floor((s / 2 ** 32) * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export type { Scene };
