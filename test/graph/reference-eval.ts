// A float64 reference evaluator of the graph IR, written straight from the ONNX operator
// definitions with plain loops. It is the independent side of the tests: emitted graphs run in
// ONNX Runtime are compared with it, and gradients are checked against its finite differences.
// Slow by design (clarity over speed): use it on small shapes only. Convolutions: 2-d only.
import { sliceAxis } from '../../sidecar/graph/shape';
import type { Dim, OpAttrs, OpType, Value } from '../../sidecar/graph/types';

export interface Arr { shape: number[]; data: Float64Array }

const size = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);
function strides(s: readonly number[]): number[] {
  const st = Array(s.length).fill(1);
  for (let i = s.length - 2; i >= 0; i--) st[i] = st[i + 1] * s[i + 1]!;
  return st;
}
function unravel(i: number, shape: readonly number[], out: number[]): void {
  for (let k = shape.length - 1; k >= 0; k--) {
    out[k] = i % shape[k]!;
    i = Math.floor(i / shape[k]!);
  }
}

/** Broadcasts `a` to `shape` (numpy rules). */
function broadcastTo(a: Arr, shape: number[]): Arr {
  if (a.shape.length === shape.length && a.shape.every((d, i) => d === shape[i])) return a;
  const off = shape.length - a.shape.length;
  const st = strides(a.shape);
  const out = new Float64Array(size(shape));
  const idx = Array(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    unravel(i, shape, idx);
    let j = 0;
    for (let k = 0; k < a.shape.length; k++) j += (a.shape[k] === 1 ? 0 : idx[k + off]) * st[k]!;
    out[i] = a.data[j]!;
  }
  return { shape, data: out };
}
function bshape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`reference: cannot broadcast [${a}] with [${b}]`);
    return x === 1 ? y : x;
  });
}
function binary(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr {
  const shape = bshape(a.shape, b.shape);
  const x = broadcastTo(a, shape).data;
  const y = broadcastTo(b, shape).data;
  return { shape, data: x.map((v, i) => f(v, y[i]!)) };
}
const map = (a: Arr, f: (x: number) => number): Arr => ({ shape: a.shape, data: a.data.map(f) });

/** erf to ~1e-14: Taylor series for |x| < 3, continued fraction for erfc beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz)
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = ax + an * d;
    d = 1 / d;
    c = ax + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

function matmul(a: Arr, b: Arr): Arr {
  const m = a.shape[a.shape.length - 2]!;
  const k = a.shape[a.shape.length - 1]!;
  const n = b.shape[b.shape.length - 1]!;
  const batch = bshape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const A = broadcastTo(a, [...batch, m, k]).data;
  const B = broadcastTo(b, [...batch, k, n]).data;
  const nb = size(batch);
  const out = new Float64Array(nb * m * n);
  for (let t = 0; t < nb; t++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) s += A[t * m * k + i * k + l]! * B[t * k * n + l * n + j]!;
        out[t * m * n + i * n + j] = s;
      }
  return { shape: [...batch, m, n], data: out };
}

// Shapes and attribute lists below are cast to the tuples a 2-d convolution (or attention) has:
// the graph's builders checked them, and the reference reads them in its innermost loops.
type ConvA = { strides: number[]; pads: number[]; dilations: number[]; group: number };
type Quad = [number, number, number, number];
type Pair = [number, number];
function conv(x: Arr, w: Arr, b: Arr | undefined, a: ConvA): Arr {
  if (x.shape.length !== 4) throw new Error('reference: Conv is implemented for 2-d only');
  const [N, C, H, W] = x.shape as Quad;
  const [O, Cg, KH, KW] = w.shape as Quad;
  const G = a.group;
  const Og = O / G;
  const [sh, sw] = a.strides as Pair;
  const [dh, dw] = a.dilations as Pair;
  const [pt, pl, pb, pr] = a.pads as Quad;
  const HO = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1;
  const WO = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
  const out = new Float64Array(N * O * HO * WO);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / Og);
      for (let oy = 0; oy < HO; oy++)
        for (let ox = 0; ox < WO; ox++) {
          let s = b ? b.data[o]! : 0;
          for (let c = 0; c < Cg; c++)
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * sw - pl + kx * dw;
                if (ix < 0 || ix >= W) continue;
                s += x.data[((n * C + g * Cg + c) * H + iy) * W + ix]! * w.data[((o * Cg + c) * KH + ky) * KW + kx]!;
              }
            }
          out[((n * O + o) * HO + oy) * WO + ox] = s;
        }
    }
  return { shape: [N, O, HO, WO], data: out };
}

function convTranspose(x: Arr, w: Arr, a: ConvA & { output_padding: number[] }): Arr {
  if (x.shape.length !== 4) throw new Error('reference: ConvTranspose is implemented for 2-d only');
  const [N, C, H, W] = x.shape as Quad;
  const [, Og, KH, KW] = w.shape as Quad;
  const G = a.group;
  const Cg = C / G;
  const O = Og * G;
  const [sh, sw] = a.strides as Pair;
  const [dh, dw] = a.dilations as Pair;
  const [pt, pl, pb, pr] = a.pads as Quad;
  const [oph, opw] = a.output_padding as Pair;
  const HO = sh * (H - 1) + oph + dh * (KH - 1) + 1 - pt - pb;
  const WO = sw * (W - 1) + opw + dw * (KW - 1) + 1 - pl - pr;
  const out = new Float64Array(N * O * HO * WO);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const g = Math.floor(c / Cg);
      for (let iy = 0; iy < H; iy++)
        for (let ix = 0; ix < W; ix++) {
          const v = x.data[((n * C + c) * H + iy) * W + ix]!;
          for (let o = 0; o < Og; o++)
            for (let ky = 0; ky < KH; ky++) {
              const oy = iy * sh - pt + ky * dh;
              if (oy < 0 || oy >= HO) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ox = ix * sw - pl + kx * dw;
                if (ox < 0 || ox >= WO) continue;
                out[((n * O + g * Og + o) * HO + oy) * WO + ox]! += v * w.data[((c * Og + o) * KH + ky) * KW + kx]!;
              }
            }
        }
    }
  return { shape: [N, O, HO, WO], data: out };
}

/** Nearest upsampling by whole factors: out[i] = in[⌊i/s⌋] on every axis. */
function resizeNearest(x: Arr, scales: number[]): Arr {
  const shape = x.shape.map((d, i) => d * scales[i]!);
  const data = new Float64Array(size(shape));
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < data.length; o++) {
    let src = 0;
    for (let ax = 0; ax < shape.length; ax++) src = src * x.shape[ax]! + Math.floor(idx[ax]! / scales[ax]!);
    data[o] = x.data[src]!;
    for (let ax = shape.length - 1; ax >= 0 && ++idx[ax]! === shape[ax]; ax--) idx[ax] = 0;
  }
  return { shape, data };
}

function reduce(x: Arr, axes: number[], keep: boolean, mean: boolean): Arr {
  const kshape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(size(kshape));
  const ks = strides(kshape);
  const idx = Array(x.shape.length).fill(0);
  for (let i = 0; i < x.data.length; i++) {
    unravel(i, x.shape, idx);
    let j = 0;
    for (let k = 0; k < idx.length; k++) j += (axes.includes(k) ? 0 : idx[k]) * ks[k]!;
    out[j]! += x.data[i]!;
  }
  if (mean) {
    const n = size(axes.map((a) => x.shape[a]!));
    for (let i = 0; i < out.length; i++) out[i]! /= n;
  }
  return { shape: keep ? kshape : x.shape.filter((_, i) => !axes.includes(i)), data: out };
}

function transpose(x: Arr, perm: number[]): Arr {
  const shape = perm.map((p) => x.shape[p]!);
  const st = strides(x.shape);
  const out = new Float64Array(x.data.length);
  const idx = Array(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    unravel(i, shape, idx);
    let j = 0;
    for (let k = 0; k < perm.length; k++) j += idx[k] * st[perm[k]!]!;
    out[i] = x.data[j]!;
  }
  return { shape, data: out };
}

/** Gathers elements: out[i] = x[index(i)] where `at` maps an output multi-index to an input one
 *  (or -1 for a zero), shared by Slice, Pad and Concat. */
function remap(shape: number[], x: Arr, at: (idx: number[]) => number[] | null): Float64Array {
  const st = strides(x.shape);
  const out = new Float64Array(size(shape));
  const idx = Array(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    unravel(i, shape, idx);
    const src = at(idx);
    if (src) out[i] = x.data[src.reduce((s, v, k) => s + v * st[k]!, 0)]!;
  }
  return out;
}

function softmax(x: Arr, axis: number): Arr {
  const n = x.shape[axis]!;
  const inner = size(x.shape.slice(axis + 1));
  const outer = size(x.shape.slice(0, axis));
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      let m = -Infinity;
      for (let k = 0; k < n; k++) m = Math.max(m, x.data[(o * n + k) * inner + i]!);
      let s = 0;
      for (let k = 0; k < n; k++) s += (out[(o * n + k) * inner + i] = Math.exp(x.data[(o * n + k) * inner + i]! - m));
      for (let k = 0; k < n; k++) out[(o * n + k) * inner + i]! /= s;
    }
  return { shape: x.shape, data: out };
}

/** Casts to integer types truncate; float casts keep the float64 value (the reference is exact math). */
function mha(q: Arr, k: Arr, v: Arr, heads: number): Arr {
  const [b, lq, hd] = q.shape as [number, number, number];
  const [, lk, hv] = v.shape as [number, number, number];
  const d = hd / heads;
  const dv = hv / heads;
  const out = new Float64Array(b * lq * hv);
  for (let n = 0; n < b; n++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < lq; i++) {
        const s = new Float64Array(lk);
        for (let j = 0; j < lk; j++) {
          for (let c = 0; c < d; c++) s[j]! += q.data[(n * lq + i) * hd + h * d + c]! * k.data[(n * lk + j) * hd + h * d + c]!;
          s[j]! /= Math.sqrt(d);
        }
        const p = softmax({ shape: [lk], data: s }, 0).data;
        for (let c = 0; c < dv; c++) for (let j = 0; j < lk; j++) out[(n * lq + i) * hv + h * dv + c]! += p[j]! * v.data[(n * lk + j) * hv + h * dv + c]!;
      }
  return { shape: [b, lq, hv], data: out };
}

function instanceNorm(x: Arr, scale: Arr, bias: Arr, eps: number): Arr {
  const [n, c] = x.shape as Pair; // (and spatial axes)
  const m = x.data.length / (n * c);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < n * c; i++) {
    const seg = x.data.subarray(i * m, (i + 1) * m);
    const mean = seg.reduce((s, v) => s + v, 0) / m;
    const sd = Math.sqrt(seg.reduce((s, v) => s + (v - mean) ** 2, 0) / m + eps);
    for (let j = 0; j < m; j++) out[i * m + j] = ((seg[j]! - mean) / sd) * scale.data[i % c]! + bias.data[i % c]!;
  }
  return { shape: x.shape, data: out };
}

function round(v: number, to: string): number {
  if (to === 'int64' || to === 'int32') return Math.trunc(v);
  if (to === 'bool') return v ? 1 : 0;
  return v;
}

/** Every op's attributes in one type (the switch in `evaluate` reads the current op's). */
type AnyAttrs = UnionToIntersection<Exclude<OpAttrs[OpType], Record<string, never>>>;
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** Evaluates `outputs` given every input and parameter by name (values as float64). */
export function evaluate<const O extends readonly Value[]>(outputs: O, feeds: Record<string, Arr>): { -readonly [K in keyof O]: Arr } {
  const memo = new Map<number, Arr>();
  const syms = new Map<string, number>();
  const dims = (s: readonly Dim[]) => s.map((d) => (typeof d === 'number' ? d : (syms.get(d) ?? fail(`symbol ${d}`))));
  const fail = (m: string): never => {
    throw new Error(`reference: ${m}`);
  };
  // Bind symbolic dims up front: a backward node may need 'batch' before the input is reached.
  for (const v of outputs[0]?.graph.values ?? []) {
    const f = v.op === 'Input' ? feeds[v.name] : undefined;
    if (f) v.shape.forEach((d, i) => typeof d === 'string' && syms.set(d, f.shape[i]!));
  }
  const ev = (v: Value): Arr => {
    const hit = memo.get(v.id);
    if (hit) return hit;
    const x = v.inputs.map(ev);
    const arg = (i: number): Arr => x[i] ?? fail(`${v} has no input ${i}`);
    const a = v.attrs as AnyAttrs;
    let r: Arr;
    switch (v.op) {
      case 'Input':
      case 'Param': {
        const f = feeds[v.name] ?? fail(`no feed for ${v.op} "${v.name}"`);
        if (f.data.length !== size(f.shape) || f.shape.length !== v.rank) fail(`feed "${v.name}" has shape [${f.shape}], expected [${v.shape}]`);
        v.shape.forEach((d, i) => (typeof d === 'string' ? syms.set(d, f.shape[i]!) : d !== f.shape[i] && fail(`feed "${v.name}" has shape [${f.shape}], expected [${v.shape}]`)));
        r = f;
        break;
      }
      case 'Constant':
        r = { shape: v.shape as number[], data: Float64Array.from((v as Value<'Constant'>).attrs.values) };
        break;
      case 'Add': r = binary(arg(0), arg(1), (p, q) => p + q); break;
      case 'Sub': r = binary(arg(0), arg(1), (p, q) => p - q); break;
      case 'Mul': r = binary(arg(0), arg(1), (p, q) => p * q); break;
      case 'Div': r = binary(arg(0), arg(1), (p, q) => p / q); break;
      case 'Pow': r = binary(arg(0), arg(1), Math.pow); break;
      case 'Min': r = binary(arg(0), arg(1), Math.min); break;
      case 'Max': r = binary(arg(0), arg(1), Math.max); break;
      case 'Neg': r = map(arg(0), (p) => -p); break;
      case 'Exp': r = map(arg(0), Math.exp); break;
      case 'Log': r = map(arg(0), Math.log); break;
      case 'Sqrt': r = map(arg(0), Math.sqrt); break;
      case 'Tanh': r = map(arg(0), Math.tanh); break;
      case 'Erf': r = map(arg(0), erf); break;
      case 'Sigmoid': r = map(arg(0), (p) => 1 / (1 + Math.exp(-p))); break;
      case 'Sin': r = map(arg(0), Math.sin); break;
      case 'Cos': r = map(arg(0), Math.cos); break;
      case 'Cast': r = map(arg(0), (p) => round(p, a.to)); break;
      case 'Equal': r = binary(arg(0), arg(1), (p, q) => Number(p === q)); break;
      case 'Where': {
        const shape = bshape(arg(0).shape, bshape(arg(1).shape, arg(2).shape));
        const [c, t, f] = [0, 1, 2].map((i) => broadcastTo(arg(i), shape).data);
        r = { shape, data: c!.map((p, i) => (p ? t![i]! : f![i]!)) };
        break;
      }
      case 'MatMul': r = matmul(arg(0), arg(1)); break;
      case 'Conv': r = conv(arg(0), arg(1), x[2] /* optional bias */, a as never); break;
      case 'ConvTranspose': r = convTranspose(arg(0), arg(1), a as never); break;
      case 'ReduceSum': r = reduce(arg(0), a.axes, a.keepdims === 1, false); break;
      case 'ReduceMean': r = reduce(arg(0), a.axes, a.keepdims === 1, true); break;
      case 'Softmax': r = softmax(arg(0), a.axis); break;
      case 'LogSoftmax': r = map(softmax(arg(0), a.axis), Math.log); break;
      case 'InstanceNormalization': r = instanceNorm(arg(0), arg(1), arg(2), a.epsilon); break;
      case 'Reshape': r = { shape: dims(a.shape), data: arg(0).data }; break;
      case 'Expand': r = broadcastTo(arg(0), bshape(arg(0).shape, dims(a.shape))); break;
      case 'Resize': r = resizeNearest(arg(0), a.scales); break;
      case 'Transpose': r = transpose(arg(0), a.perm); break;
      case 'Concat': {
        const ax: number = a.axis;
        const shape = [...arg(0).shape];
        shape[ax] = x.reduce((s, t) => s + t.shape[ax]!, 0);
        const inner = size(shape.slice(ax + 1));
        const data = new Float64Array(size(shape));
        let at = 0;
        for (let o = 0; o < size(shape.slice(0, ax)); o++)
          for (const t of x) {
            const n = t.shape[ax]! * inner;
            data.set(t.data.subarray(o * n, (o + 1) * n), at);
            at += n;
          }
        r = { shape, data };
        break;
      }
      case 'Slice': {
        const shape = [...arg(0).shape];
        const sl = new Map<number, { start: number; step: number }>();
        a.axes.forEach((ax, i) => { // Slice's builder stores one start, end and step per axis
          const step = a.steps[i]!;
          const s = sliceAxis(shape[ax]!, a.starts[i]!, a.ends[i]!, step);
          shape[ax] = s.len;
          sl.set(ax, { start: s.start, step });
        });
        r = { shape, data: remap(shape, arg(0), (idx) => idx.map((v2, k) => (sl.has(k) ? sl.get(k)!.start + v2 * sl.get(k)!.step : v2))) };
        break;
      }
      case 'Pad': {
        const p: number[] = a.pads;
        const n = arg(0).shape.length;
        const shape = arg(0).shape.map((d, i) => d + p[i]! + p[n + i]!);
        r = { shape, data: remap(shape, arg(0), (idx) => {
          const src = idx.map((v2, k) => v2 - p[k]!);
          return src.every((v2, k) => v2 >= 0 && v2 < arg(0).shape[k]!) ? src : null;
        }) };
        break;
      }
      case 'Gather': {
        const ax: number = a.axis;
        const [d, ind] = [arg(0), arg(1)];
        const shape = [...d.shape.slice(0, ax), ...ind.shape, ...d.shape.slice(ax + 1)];
        r = { shape, data: remap(shape, d, (idx) => {
          const j = ind.data[idx.slice(ax, ax + ind.shape.length).reduce((s, v2, k) => s + v2 * strides(ind.shape)[k]!, 0)]!;
          return [...idx.slice(0, ax), j < 0 ? j + d.shape[ax]! : j, ...idx.slice(ax + ind.shape.length)];
        }) };
        break;
      }
      case 'MultiHeadAttention':
        r = mha(arg(0), arg(1), arg(2), a.num_heads);
        break;
      case 'ScatterND': {
        const [d, ind, upd] = [arg(0), arg(1), arg(2)];
        const data = Float64Array.from(d.data);
        const q = ind.shape[ind.shape.length - 1]!;
        const slab = size(d.shape.slice(q));
        const st = strides(d.shape);
        const n = size(ind.shape.slice(0, -1));
        for (let i = 0; i < n; i++) {
          let base = 0;
          for (let k = 0; k < q; k++) base += ind.data[i * q + k]! * st[k]!;
          for (let j = 0; j < slab; j++) data[base + j]! += upd.data[i * slab + j]!;
        }
        r = { shape: d.shape, data };
        break;
      }
    }
    memo.set(v.id, r);
    return r;
  };
  return outputs.map(ev) as { -readonly [K in keyof O]: Arr };
}
