// How much activation memory a graph needs if its nodes run in creation order and every value is freed
// after its last consumer — what ONNX Runtime's sequential executor does when the emitted order is
// kept (checkpointing anchors keep it, see autodiff/checkpoint.ts). Used to estimate a job's peak
// before a session is created, and to see what is alive at the peak. Frozen weights are not counted
// (they are resident once, as stored); graph inputs, trainable parameters and outputs are.
import { reachable } from './reach';
import type { DType, Value } from './types';

const BYTES: Record<DType, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, bool: 1, uint8: 1 };

export interface Liveness {
  /** Most bytes alive at once. */
  peakBytes: number;
  /** The node whose output made the peak. */
  peakAt: string;
  /** The largest values alive at the peak (name, bytes), largest first. */
  liveAtPeak: { name: string; bytes: number }[];
}

/** Bytes of a value; symbolic dims count as `symbolSize` (1 by default). */
export function valueBytes(v: Value, symbolSize = 1): number {
  return v.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : symbolSize), BYTES[v.dtype]);
}

export function liveness(values: readonly Value[], outputs: readonly Value[], top = 8): Liveness {
  const live = reachable(outputs);
  const lastUse = new Map<number, number>();
  values.forEach((v, i) => {
    if (!live.has(v.id)) return;
    for (const x of v.inputs) lastUse.set(x.id, i);
  });
  for (const o of outputs) lastUse.set(o.id, Infinity);
  // Frozen weights, constants and what is computed from them alone (a weight's Transpose or Slice) are
  // not activations: emit's castPerUse materialises the latter per consumer, for that node only.
  const weightOnly = new Set<number>();
  for (const v of values) {
    const frozen = v.op === 'Constant' || (v.op === 'Param' && !(v as Value<'Param'>).attrs.trainable);
    if (frozen || (v.inputs.length > 0 && v.op !== 'Input' && v.inputs.every((x) => weightOnly.has(x.id)))) weightOnly.add(v.id);
  }
  const kept = (v: Value) => !weightOnly.has(v.id);
  const alive = new Map<number, Value>();
  let bytes = 0;
  // Inputs and trainable parameters are fed before the run starts.
  for (const v of values) if (live.has(v.id) && (v.op === 'Input' || v.op === 'Param') && kept(v)) (alive.set(v.id, v), (bytes += valueBytes(v)));
  let peak = { peakBytes: bytes, peakAt: '(inputs)', liveAtPeak: [] as { name: string; bytes: number }[] };
  values.forEach((v, i) => {
    if (!live.has(v.id) || v.op === 'Input' || v.op === 'Param' || !kept(v)) return;
    alive.set(v.id, v);
    bytes += valueBytes(v);
    // A frozen weight read in another dtype is upcast for this node only (emit's castPerUse).
    const casts = v.inputs.filter((x) => x.op !== 'Constant' && !kept(x)).reduce((n, x) => n + valueBytes(x), 0);
    if (bytes + casts > peak.peakBytes) {
      const list = [...alive.values()].map((u) => ({ name: u.name, bytes: valueBytes(u) })).sort((a, b) => b.bytes - a.bytes);
      peak = { peakBytes: bytes + casts, peakAt: v.name, liveAtPeak: list.slice(0, top) };
    }
    for (const x of new Set(v.inputs)) {
      if (alive.has(x.id) && lastUse.get(x.id) === i) (alive.delete(x.id), (bytes -= valueBytes(x)));
    }
    if ((lastUse.get(v.id) ?? -1) < i && alive.has(v.id)) (alive.delete(v.id), (bytes -= valueBytes(v))); // unused
  });
  return peak;
}
