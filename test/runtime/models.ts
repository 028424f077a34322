// Small ONNX models for the runtime tests, built with the ONNX builder (sidecar/onnx/builder.ts), and
// float64 JavaScript references of what they compute. Sizes are tiny: WebGPU here is a CPU emulation.
import { encodeModel, makeExternalTensor, makeNode, makeTensor, makeValueInfo } from '../../sidecar/onnx/builder';
import { encodeValues } from '../../sidecar/onnx/values';

/** Deterministic values in [-1, 1) (a fixed LCG; the tests need variety, not statistics). */
export function lcg(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** y = Relu(x·w + b); x [n,k] and w [k,m] are inputs, b [m] an initializer. */
export function affineModel(b: Float32Array, k: number, m: number): Uint8Array {
  return encodeModel({
    name: 'affine',
    node: [makeNode('MatMul', ['x', 'w'], ['xw']), makeNode('Add', ['xw', 'b'], ['z']), makeNode('Relu', ['z'], ['y'])],
    initializer: [makeTensor('b', 'float32', [m], encodeValues(b, 'float32'))],
    input: [makeValueInfo('x', 'float32', ['n', k]), makeValueInfo('w', 'float32', [k, m])],
    output: [makeValueInfo('y', 'float32', ['n', m])],
  });
}
export function affineRef(x: Float32Array, w: Float32Array, b: Float32Array, n: number, k: number, m: number): Float64Array {
  const y = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let s = b[j]!;
      for (let t = 0; t < k; t++) s += x[i * k + t]! * w[t * m + j]!;
      y[i * m + j] = Math.max(0, s);
    }
  return y;
}

/**
 * One gradient-descent step of least squares, the shape of a training step: the weight goes in and the
 * updated weight comes out, so it can stay on the device between runs.
 *   w' = w − lr · xᵀ(x·w − t),  loss = Σ(x·w − t)²
 */
export function sgdStepModel(lr: number, n: number, k: number, m: number): Uint8Array {
  return encodeModel({
    name: 'sgd_step',
    node: [
      makeNode('MatMul', ['x', 'w'], ['xw']),
      makeNode('Sub', ['xw', 't'], ['r']),
      makeNode('Mul', ['r', 'r'], ['r2']),
      makeNode('ReduceSum', ['r2'], ['loss'], { keepdims: 0 }),
      makeNode('Transpose', ['x'], ['xt'], { perm: [1, 0] }),
      makeNode('MatMul', ['xt', 'r'], ['g']),
      makeNode('Mul', ['g', 'lr'], ['step']),
      makeNode('Sub', ['w', 'step'], ['w_next']),
    ],
    initializer: [makeTensor('lr', 'float32', [], encodeValues([lr], 'float32'))],
    input: [makeValueInfo('x', 'float32', [n, k]), makeValueInfo('t', 'float32', [n, m]), makeValueInfo('w', 'float32', [k, m])],
    output: [makeValueInfo('w_next', 'float32', [k, m]), makeValueInfo('loss', 'float32', [])],
  });
}
export function sgdStepRef(x: Float32Array, t: Float32Array, w: Float64Array, lr: number, n: number, k: number, m: number): { w: Float64Array; loss: number } {
  const r = new Float64Array(n * m);
  let loss = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let s = -t[i * m + j]!;
      for (let q = 0; q < k; q++) s += x[i * k + q]! * w[q * m + j]!;
      r[i * m + j] = s;
      loss += s * s;
    }
  const next = new Float64Array(w.length);
  for (let q = 0; q < k; q++)
    for (let j = 0; j < m; j++) {
      let g = 0;
      for (let i = 0; i < n; i++) g += x[i * k + q]! * r[i * m + j]!;
      next[q * m + j] = w[q * m + j]! - lr * g;
    }
  return { w: next, loss };
}

/** y = Conv(x, w) with 3×3 kernels, padding 1, stride 1; x [1,ci,h,w], w [co,ci,3,3] both inputs. */
export function convModel(ci: number, co: number, h: number, w: number): Uint8Array {
  return encodeModel({
    name: 'conv',
    node: [makeNode('Conv', ['x', 'k'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })],
    initializer: [],
    input: [makeValueInfo('x', 'float32', [1, ci, h, w]), makeValueInfo('k', 'float32', [co, ci, 3, 3])],
    output: [makeValueInfo('y', 'float32', [1, co, h, w])],
  });
}
export function convRef(x: Float32Array, k: Float32Array, ci: number, co: number, h: number, w: number): Float64Array {
  const y = new Float64Array(co * h * w);
  for (let o = 0; o < co; o++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        let s = 0;
        for (let c = 0; c < ci; c++)
          for (let di = 0; di < 3; di++)
            for (let dj = 0; dj < 3; dj++) {
              const ii = i + di - 1, jj = j + dj - 1;
              if (ii >= 0 && ii < h && jj >= 0 && jj < w) s += x[(c * h + ii) * w + jj]! * k[((o * ci + c) * 3 + di) * 3 + dj]!;
            }
        y[(o * h + i) * w + j] = s;
      }
  return y;
}

/** y = Cast(x, float16) · 2 — a float16 output, for downloads of half-precision device tensors. */
export function halfModel(n: number): Uint8Array {
  return encodeModel({
    name: 'half',
    node: [makeNode('Cast', ['x'], ['xh'], { to: 10 }), makeNode('Add', ['xh', 'xh'], ['y'])],
    initializer: [],
    input: [makeValueInfo('x', 'float32', [n])],
    output: [makeValueInfo('y', 'float16', [n])],
  });
}

/** `depth` chained y = Tanh(y·a) over [size,size] matrices: enough work to keep the worker busy. */
export function busyModel(size: number, depth: number): Uint8Array {
  const node = [];
  let prev = 'x';
  for (let i = 0; i < depth; i++) {
    node.push(makeNode('MatMul', [prev, 'a'], [`m${i}`]), makeNode('Tanh', [`m${i}`], [i === depth - 1 ? 'y' : `h${i}`]));
    prev = `h${i}`;
  }
  return encodeModel({
    name: 'busy',
    node,
    initializer: [],
    input: [makeValueInfo('x', 'float32', [size, size]), makeValueInfo('a', 'float32', [size, size])],
    output: [makeValueInfo('y', 'float32', [size, size])],
  });
}

/** y = x + b where b lives in an external file `location` at byte `offset` (as inside a .safetensors). */
export function externalBiasModel(location: string, offset: number, n: number): Uint8Array {
  return encodeModel({
    name: 'external_bias',
    node: [makeNode('Add', ['x', 'b'], ['y'])],
    initializer: [makeExternalTensor('b', 'float32', [n], location, offset, n * 4)],
    input: [makeValueInfo('x', 'float32', [n])],
    output: [makeValueInfo('y', 'float32', [n])],
  });
}

/** Largest |a−b| relative to max(1, |b|). */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return e;
}
