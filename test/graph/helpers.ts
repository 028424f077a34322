// Test helpers: a seeded RNG, running a Graph through onnxruntime-node, and comparisons.
import * as ort from 'onnxruntime-node';
import type { Graph } from '../../sidecar/graph/graph';
import type { Arr } from './reference-eval';
import type { DType } from '../../sidecar/graph/types';
import { emitModel, type EmitOptions } from '../../sidecar/onnx/emit';
import { encodeValues } from '../../sidecar/onnx/values';

/** mulberry32 + Box–Muller: reproducible normal samples. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
}

export function randArr(shape: number[], r: () => number, scale = 1): Arr {
  const n = shape.reduce((a, d) => a * d, 1);
  return { shape, data: Float64Array.from({ length: n }, () => r() * scale) };
}

function ortTensor(dtype: DType, a: Arr): ort.Tensor {
  switch (dtype) {
    case 'float32': return new ort.Tensor('float32', Float32Array.from(a.data), a.shape);
    case 'float64': return new ort.Tensor('float64', Float64Array.from(a.data), a.shape);
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from(a.data, (v) => BigInt(v)), a.shape);
    case 'int32': return new ort.Tensor('int32', Int32Array.from(a.data), a.shape);
    default: throw new Error(`test helper: feeding ${dtype} not supported`);
  }
}

/** Emits `g` (frozen params inline from `feeds`), runs it in ORT CPU, returns outputs as float64. */
export async function runOrt(g: Graph, feeds: Record<string, Arr>, opts: Partial<EmitOptions> = {}): Promise<Record<string, Arr>> {
  const dtypes = new Map(g.params.map((p) => [p.name, p.dtype] as const));
  const emitted = emitModel(g, {
    weights: (name) => {
      const f = feeds[name];
      if (!f) throw new Error(`test: no data for parameter ${name}`);
      return { kind: 'bytes', data: encodeValues(f.data, dtypes.get(name)!), dtype: dtypes.get(name)! };
    },
    ...opts,
  });
  const session = await ort.InferenceSession.create(emitted.bytes, {
    graphOptimizationLevel: 'all',
    externalData: emitted.externalFiles.map((f) => ({ path: f.location, data: f.data! })),
  } as ort.InferenceSession.SessionOptions);
  const inputs: Record<string, ort.Tensor> = {};
  for (const i of emitted.inputs) inputs[i.name] = ortTensor(i.dtype, feeds[i.name] ?? failNoFeed(i.name));
  const res = await session.run(inputs);
  const out: Record<string, Arr> = {};
  for (const [k, t] of Object.entries(res)) {
    out[k] = { shape: [...t.dims], data: Float64Array.from(t.data as Float32Array) };
  }
  await session.release();
  return out;
}
function failNoFeed(name: string): never {
  throw new Error(`test: no feed for input ${name}`);
}

/** max |a-b| / (atol + rtol·|b|) ≤ 1, with a readable message naming the worst element. `actual`
 *  may be a lookup among a run's outputs: a missing one fails here, by name. */
export function assertClose(actual: Arr | undefined, expected: Arr, rtol: number, atol: number, what: string): void {
  if (!actual) throw new Error(`${what}: no such output`);
  if (actual.shape.join() !== expected.shape.join()) throw new Error(`${what}: shape [${actual.shape}] ≠ expected [${expected.shape}]`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const e = Math.abs(actual.data[i]! - expected.data[i]!) / (atol + rtol * Math.abs(expected.data[i]!));
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  if (!(worst <= 1)) {
    throw new Error(`${what}: element ${at} is ${actual.data[at]}, expected ${expected.data[at]} (rtol ${rtol}, atol ${atol})`);
  }
}
