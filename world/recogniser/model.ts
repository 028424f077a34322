// The recogniser: a small CNN on 64×64 RGB in [-1, 1] — four stride-2 3×3 convolutions (GroupNorm,
// SiLU) down to 4×4, global mean pooling, one linear classifier per head. Position needs to know where
// the object is, which pooling forgets: its head reads the 4×4 map through a 1×1 convolution. The
// pooled features, L2-normalised, are the embedding used for identity similarity.
import type { Graph } from '../../sidecar/graph/graph';
import * as nn from '../../sidecar/graph/nn';
import * as op from '../../sidecar/graph/ops';
import type { Dim, Value } from '../../sidecar/graph/types';
import { HEAD_NAMES, HEADS, type HeadName } from './heads';

export const IMAGE_SIZE = 64;
export const CHANNELS = [32, 64, 96, 128] as const;
const GROUPS = 8;
const POSITION_CHANNELS = 8;
export const EMBEDDING_SIZE = CHANNELS[CHANNELS.length - 1]!; // (CHANNELS is a non-empty tuple)

export interface ParamShape {
  name: string;
  shape: number[];
}

/** Every parameter, in graph order (the weights file and the optimiser state follow it). */
export function recogniserParams(): ParamShape[] {
  const out: ParamShape[] = [];
  let c = 3;
  CHANNELS.forEach((k, i) => {
    out.push({ name: `convs.${i}.weight`, shape: [k, c, 3, 3] }, { name: `convs.${i}.bias`, shape: [k] });
    out.push({ name: `norms.${i}.weight`, shape: [k] }, { name: `norms.${i}.bias`, shape: [k] });
    c = k;
  });
  out.push({ name: 'position_proj.weight', shape: [POSITION_CHANNELS, c, 1, 1] }, { name: 'position_proj.bias', shape: [POSITION_CHANNELS] });
  const spatial = (IMAGE_SIZE / 2 ** CHANNELS.length) ** 2;
  for (const h of HEAD_NAMES) {
    const inF = h === 'position' ? POSITION_CHANNELS * spatial : c;
    out.push({ name: `heads.${h}.weight`, shape: [HEADS[h].length, inF] }, { name: `heads.${h}.bias`, shape: [HEADS[h].length] });
  }
  return out;
}

export interface RecogniserGraph {
  image: Value;
  logits: Record<HeadName, Value>;
  embedding: Value;
  params: Value[];
}

/** Builds the network on `g`; `trainable` makes the parameters graph inputs (fed and updated each step). */
export function buildRecogniser(g: Graph, batch: Dim, o: { trainable: boolean }): RecogniserGraph {
  const params = new Map(recogniserParams().map((p) => [p.name, g.param(p.name, 'float32', p.shape, { trainable: o.trainable })]));
  const p = (name: string) => params.get(name)!;
  const image = g.input('image', 'float32', [batch, 3, IMAGE_SIZE, IMAGE_SIZE]);
  let h: Value = image;
  CHANNELS.forEach((_, i) => {
    h = nn.conv2dWith(h, p(`convs.${i}.weight`), p(`convs.${i}.bias`), { stride: 2, padding: 1 });
    h = nn.silu(nn.groupNormWith(h, GROUPS, p(`norms.${i}.weight`), p(`norms.${i}.bias`)));
  });
  const pooled = op.ReduceMean(h, [2, 3], false);
  const where = op.Reshape(nn.conv2dWith(h, p('position_proj.weight'), p('position_proj.bias')), [0, -1]);
  const logits = {} as Record<HeadName, Value>;
  for (const name of HEAD_NAMES) logits[name] = nn.linearWith(name === 'position' ? where : pooled, p(`heads.${name}.weight`), p(`heads.${name}.bias`));
  const embedding = op.Div(pooled, op.Sqrt(op.Add(op.ReduceSum(op.Mul(pooled, pooled), [1]), 1e-12)));
  return { image, logits, embedding, params: [...params.values()] };
}

/** torch's default initialisation (kaiming_uniform with a = √5: U(±1/√fan_in)) for weights and biases;
 *  GroupNorm scale 1, shift 0. Seeded, so a training run is reproducible. */
export function initialWeights(seed: number): Map<string, Float32Array> {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const out = new Map<string, Float32Array>();
  const fanIn = new Map<string, number>();
  for (const { name, shape } of recogniserParams()) {
    const n = shape.reduce((a, d) => a * d, 1);
    const module = name.slice(0, name.lastIndexOf('.'));
    if (name.endsWith('.weight') && shape.length > 1) fanIn.set(module, n / shape[0]!);
    const a = new Float32Array(n);
    if (name.startsWith('norms.')) a.fill(name.endsWith('.weight') ? 1 : 0);
    else {
      const bound = 1 / Math.sqrt(fanIn.get(module)!);
      for (let i = 0; i < n; i++) a[i] = (2 * u() - 1) * bound;
    }
    out.set(name, a);
  }
  return out;
}

/** RGB bytes (interleaved, size×size) of `count` images → the network's input, NCHW in [-1, 1]. */
export function toInput(pixels: Uint8Array, count: number, size = IMAGE_SIZE): Float32Array {
  const hw = size * size;
  if (pixels.length !== count * hw * 3) throw new Error(`recogniser: ${pixels.length} bytes are not ${count} ${size}×${size} RGB images`);
  const out = new Float32Array(count * 3 * hw);
  for (let b = 0; b < count; b++)
    for (let i = 0; i < hw; i++)
      for (let c = 0; c < 3; c++) out[(b * 3 + c) * hw + i] = pixels[(b * hw + i) * 3 + c]! / 127.5 - 1;
  return out;
}
