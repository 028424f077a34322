// AdamW graph: several steps against a plain float64 JS implementation of torch.optim.AdamW (with
// clip_grad_norm_), against the torch reference run in fixtures/tiny-sd (lora_dreambooth_step:
// initial LoRA weights + torch's gradients → weights after steps 1 and 2), and forward + backward
// + update in one run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { grad } from '../../sidecar/autodiff/grad';
import { Graph } from '../../sidecar/graph/graph';
import * as nn from '../../sidecar/graph/nn';
import { emitModel } from '../../sidecar/onnx/emit';
import { type AdamWOptions, adamw } from '../../sidecar/optim/adamw';
import { readSafetensorsIndex, readTensorF32 } from '../../sidecar/weights/safetensors';
import { randArr, rng } from '../graph/helpers';

/** torch.optim.AdamW step in float64 (clip_grad_norm_ first when maxGradNorm is set). */
function torchAdamW(ps: Float64Array[], gs: Float64Array[], ms: Float64Array[], vs: Float64Array[], t: number, lr: number, o: Required<Omit<AdamWOptions, 'maxGradNorm'>> & { maxGradNorm?: number }) {
  let coef = 1;
  if (o.maxGradNorm !== undefined) {
    const norm = Math.sqrt(gs.reduce((a, g) => a + g.reduce((s, x) => s + x * x, 0), 0));
    coef = Math.min(1, o.maxGradNorm / (norm + 1e-6));
  }
  ps.forEach((p, i) => {
    const [gi, m, v] = [gs[i], ms[i], vs[i]];
    assert.ok(gi && m && v, `torchAdamW: no gradient or moments for parameter ${i}`);
    // every array here has p.length elements
    for (let j = 0; j < p.length; j++) {
      const g = gi[j]! * coef;
      p[j]! *= 1 - lr * o.weightDecay;
      m[j] = o.beta1 * m[j]! + (1 - o.beta1) * g;
      v[j] = o.beta2 * v[j]! + (1 - o.beta2) * g * g;
      const denom = Math.sqrt(v[j]!) / Math.sqrt(1 - o.beta2 ** t) + o.eps;
      p[j]! -= (lr / (1 - o.beta1 ** t)) * (m[j]! / denom);
    }
  });
}

const f32 = (a: ArrayLike<number>, dims: readonly number[]) => new ort.Tensor('float32', Float32Array.from(a), dims);
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  for (let i = 0; i < b.length; i++) {
    if (!(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)))) assert.fail(`${what}[${i}]: ${a[i]} vs expected ${b[i]}`);
  }
};

/** Optimizer-only graph: gradients are inputs. */
async function optimizerSession(shapes: number[][], o: AdamWOptions) {
  const g = new Graph();
  const ps = shapes.map((s, i) => g.param(`p${i}`, 'float32', s, { trainable: true }));
  const gs = shapes.map((s, i) => g.input(`g${i}`, 'float32', s));
  const spec = adamw(g, ps, gs, o);
  return { spec, session: await ort.InferenceSession.create(emitModel(g).bytes) };
}

for (const maxGradNorm of [undefined, 0.5]) {
  test(`AdamW matches torch semantics over 5 steps${maxGradNorm ? ' with global-norm clipping' : ''}`, async () => {
    const shapes = [[3, 4], [5]];
    const opts = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm };
    const { spec, session } = await optimizerSession(shapes, opts);
    const r = rng(31);
    const ps = shapes.map((s) => randArr(s, r).data);
    const ms = shapes.map((s) => new Float64Array(s.reduce((a, d) => a * d)));
    const vs = ms.map((m) => new Float64Array(m.length));
    let feeds: Record<string, ort.Tensor> = {};
    spec.slots.forEach((s, i) => Object.assign(feeds, { [s.param]: f32(ps[i]!, shapes[i]!), [s.m]: f32(ms[i]!, shapes[i]!), [s.v]: f32(vs[i]!, shapes[i]!) }));
    for (let t = 1; t <= 5; t++) {
      const lr = 1e-2 * t;
      const gs = shapes.map((s) => randArr(s, r, t).data);
      gs.forEach((gr, i) => (feeds[`g${i}`] = f32(gr, shapes[i]!)));
      const out = await session.run({ ...feeds, lr: f32([lr], []), step: f32([t], []) });
      torchAdamW(ps, gs.map((gr) => gr.map(Math.fround)), ms, vs, t, lr, { ...opts });
      if (spec.gradNorm) assert.ok((out[spec.gradNorm]!.data[0] as number) > 0.5, 'clipping was exercised');
      const next: Record<string, ort.Tensor> = {};
      spec.slots.forEach((s, i) => {
        close(out[s.paramOut]!.data as Float32Array, ps[i]!, 2e-6, `step ${t} ${s.param}`);
        close(out[s.mOut]!.data as Float32Array, ms[i]!, 2e-6, `step ${t} ${s.m}`);
        close(out[s.vOut]!.data as Float32Array, vs[i]!, 2e-6, `step ${t} ${s.v}`);
        Object.assign(next, { [s.param]: out[s.paramOut], [s.m]: out[s.mOut], [s.v]: out[s.vOut] });
      });
      feeds = next;
    }
  });
}

test('AdamW reproduces torch on the fixture LoRA (lora_dreambooth_step: steps 1 and 2, and the clipped variant)', async () => {
  const dir = 'fixtures/tiny-sd/cases';
  const read = async (f: string) => {
    const idx = await readSafetensorsIndex(`${dir}/${f}`);
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const k of idx.tensors.keys()) out.set(k, await readTensorF32(idx, k));
    return out;
  };
  const [init, g1, g2, w1, w2, w1c] = await Promise.all([
    read('lora_init_kohya.safetensors'),
    read('lora_grads_step1.safetensors'),
    read('lora_grads_step2.safetensors'),
    read('lora_step1_kohya.safetensors'),
    read('lora_step2_kohya.safetensors'),
    read('lora_step1_clipped_kohya.safetensors'),
  ]);
  const keys = [...g1.keys()].sort();
  assert.equal(keys.length, 96);
  const opt = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 }; // from the fixture's index.json
  for (const maxGradNorm of [undefined, 1.0]) {
    const g = new Graph();
    const ps = keys.map((k) => g.param(k, 'float32', init.get(k)!.shape, { trainable: true }));
    const gs = keys.map((k) => g.input(`grad.${k}`, 'float32', init.get(k)!.shape));
    const spec = adamw(g, ps, gs, { ...opt, maxGradNorm });
    const s = await ort.InferenceSession.create(emitModel(g).bytes);
    const feeds: Record<string, ort.Tensor> = { lr: f32([1e-4], []), step: f32([1], []) };
    keys.forEach((k, i) => {
      const { shape, data } = init.get(k)!;
      Object.assign(feeds, { [k]: f32(data, shape), [spec.slots[i]!.m]: f32(new Float32Array(data.length), shape), [spec.slots[i]!.v]: f32(new Float32Array(data.length), shape), [`grad.${k}`]: f32(g1.get(k)!.data, shape) });
    });
    const out1 = await s.run(feeds);
    if (maxGradNorm) {
      close([out1.grad_norm!.data[0] as number], [0.1321302205324173], 1e-5, 'grad norm');
      keys.forEach((k, i) => close(out1[spec.slots[i]!.paramOut]!.data as Float32Array, w1c.get(k)!.data, 1e-6, `clipped step 1 ${k}`));
      continue;
    }
    keys.forEach((k, i) => close(out1[spec.slots[i]!.paramOut]!.data as Float32Array, w1.get(k)!.data, 1e-6, `step 1 ${k}`));
    const feeds2: Record<string, ort.Tensor> = { lr: f32([1e-4], []), step: f32([2], []) };
    keys.forEach((k, i) => {
      const sl = spec.slots[i]!;
      Object.assign(feeds2, { [k]: out1[sl.paramOut], [sl.m]: out1[sl.mOut], [sl.v]: out1[sl.vOut], [`grad.${k}`]: f32(g2.get(k)!.data, init.get(k)!.shape) });
    });
    const out2 = await s.run(feeds2);
    keys.forEach((k, i) => close(out2[spec.slots[i]!.paramOut]!.data as Float32Array, w2.get(k)!.data, 1e-6, `step 2 ${k}`));
  }
});

test('one run does forward + backward + AdamW update (linear regression, 3 steps vs float64 JS)', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [6, 3]);
  const y = g.input('y', 'float32', [6, 2]);
  const w = g.scope('head', () => g.param('weight', 'float32', [2, 3], { trainable: true }));
  const frozen = g.scope('head', () => g.param('bias', 'float32', [2]));
  const loss = nn.mseLoss(nn.linearWith(x, w, frozen), y);
  const [gw] = grad(loss, [w]);
  g.output(loss, 'loss');
  const spec = adamw(g, [w], [gw], { weightDecay: 0.1 });
  const [slot] = spec.slots;
  assert.ok(slot);
  const r = rng(41);
  const X = randArr([6, 3], r).data.map(Math.fround);
  const Y = randArr([6, 2], r).data.map(Math.fround);
  const B = randArr([2], r).data.map(Math.fround);
  const W = randArr([2, 3], r).data.map(Math.fround);
  const s = await ort.InferenceSession.create(emitModel(g, { weights: () => ({ kind: 'bytes', data: new Uint8Array(Float32Array.from(B).buffer), dtype: 'F32' }) }).bytes);
  const m = [new Float64Array(6)];
  const v = [new Float64Array(6)];
  let feeds: Record<string, ort.Tensor> = { x: f32(X, [6, 3]), y: f32(Y, [6, 2]), 'head.weight': f32(W, [2, 3]), [slot.m]: f32(m[0]!, [2, 3]), [slot.v]: f32(v[0]!, [2, 3]) };
  for (let t = 1; t <= 3; t++) {
    // dL/dW = 2/12 · Σ_n (x_n Wᵀ + b − y_n)ᵀ x_n
    const G = new Float64Array(6);
    let L = 0;
    for (let n = 0; n < 6; n++)
      for (let o = 0; o < 2; o++) {
        const e = B[o]! + [0, 1, 2].reduce((a, k) => a + X[n * 3 + k]! * W[o * 3 + k]!, 0) - Y[n * 2 + o]!;
        L += (e * e) / 12;
        for (let k = 0; k < 3; k++) G[o * 3 + k]! += (2 / 12) * e * X[n * 3 + k]!;
      }
    const out = await s.run({ ...feeds, lr: f32([0.05], []), step: f32([t], []) });
    close([out.loss!.data[0] as number], [L], 1e-5, `loss ${t}`);
    torchAdamW([W], [G], m, v, t, 0.05, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
    close(out[slot.paramOut]!.data as Float32Array, W, 1e-5, `W after step ${t}`);
    feeds = { ...feeds, 'head.weight': out[slot.paramOut]!, [slot.m]: out[slot.mOut]!, [slot.v]: out[slot.vOut]! };
  }
});
