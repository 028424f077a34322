// Static shape rules shared by the op builders and the autodiff driver.
import type { Dim, Shape } from './types';

export function numel(shape: Shape, what = 'tensor'): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') throw new Error(`shape: ${what} has symbolic dim "${d}" where a static size is needed`);
    n *= d;
  }
  return n;
}

/** d as a number; a symbolic dim, or none (an axis past the rank), is an error naming `what`. */
export function staticDim(d: Dim | undefined, what: string): number {
  if (d === undefined) throw new Error(`shape: ${what} needs a static size, got no such axis`);
  if (typeof d !== 'number') throw new Error(`shape: ${what} needs a static size, got symbolic "${d}"`);
  return d;
}

export function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** numpy broadcasting of two shapes; symbolic dims broadcast only against 1 or the same name. */
export function broadcastShapes(a: Shape, b: Shape, op: string): Dim[] {
  const r = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else throw new Error(`${op}: cannot broadcast [${a.join(',')}] with [${b.join(',')}]`);
  }
  return out;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Resolves a Reshape target with ONNX's 0 (copy input dim) and -1 (infer) into explicit dims.
 *  -1 is inferred from static sizes; symbolic dims must be carried with 0 (or spelled out). */
export function resolveReshape(input: Shape, target: readonly Dim[]): Dim[] {
  const out = target.map((d, i) => {
    const copied = d === 0 ? input[i] : d;
    if (copied === undefined) throw new Error(`Reshape: 0 at axis ${i} of [${target.join(',')}] copies no dim of [${input.join(',')}]`);
    return copied;
  });
  const infer = out.indexOf(-1);
  if (out.indexOf(-1, infer + 1) >= 0) throw new Error(`Reshape: more than one -1 in [${target.join(',')}]`);
  const syms = (s: readonly Dim[]) => s.filter((d): d is string => typeof d === 'string').sort().join('*');
  const nums = (s: readonly Dim[]) => s.reduce<number>((p, d) => (typeof d === 'number' && d !== -1 ? p * d : p), 1);
  if (syms(input) !== syms(out.filter((d) => d !== -1))) {
    throw new Error(`Reshape: symbolic dims of [${input.join(',')}] and [${target.join(',')}] differ`);
  }
  if (infer >= 0) {
    const rest = nums(out);
    if (nums(input) % rest !== 0) throw new Error(`Reshape: cannot reshape [${input.join(',')}] to [${target.join(',')}]`);
    out[infer] = nums(input) / rest;
  } else if (nums(input) !== nums(out)) {
    throw new Error(`Reshape: cannot reshape [${input.join(',')}] (${nums(input)}) to [${target.join(',')}] (${nums(out)})`);
  }
  return out;
}

/** The output length of a Slice along one axis, with ONNX's clamping; returns normalised start/end. */
export function sliceAxis(dim: number, start: number, end: number, step: number): { start: number; end: number; len: number } {
  if (step === 0) throw new Error('Slice: step must not be 0');
  const norm = (v: number) => (v < 0 ? v + dim : v);
  let s = norm(start);
  let e = norm(end);
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
    return { start: s, end: e, len: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = Math.min(Math.max(s, -1), dim - 1);
  e = Math.min(Math.max(e, -1), dim - 1);
  return { start: s, end: e, len: Math.max(0, Math.ceil((s - e) / -step)) };
}

/** Spatial output size of a convolution. */
export function convOut(size: number, k: number, stride: number, padBegin: number, padEnd: number, dilation: number): number {
  return Math.floor((size + padBegin + padEnd - dilation * (k - 1) - 1) / stride) + 1;
}
