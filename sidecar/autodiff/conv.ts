// Convolution gradients in the forms ORT's CPU provider runs fastest (measured, feasibility.md):
// dx as a Conv with transposed weights for stride 1 on maps above 16×16 (ConvTranspose otherwise), and dW as
// pad + k² shifted strided slices + one batched MatMul (≈2.5× faster than a batch-transposed Conv).
import * as op from '../graph/ops';
import { staticDim } from '../graph/shape';
import type { OpAttrs, Shape, Value } from '../graph/types';

type ConvAttrs = OpAttrs['Conv'];
// Conv's builder checked that strides and dilations hold one entry per spatial axis and pads two,
// so the `!` reads of them below are in range.

/** Gradient of Conv(x, w) w.r.t. x, given gy. */
export function convInputGrad(gy: Value, w: Value, xShape: Shape, a: ConvAttrs): Value {
  const s = xShape.length - 2;
  const k = w.shape.slice(2) as number[];
  const flippedPads = [...k, ...k].map((kk, i) => a.dilations[i % s]! * (kk - 1) - a.pads[i]!);
  // Conv with the kernel transposed and flipped is the faster kernel on large feature maps, but the flip is
  // a strided copy of the whole weight at every step (weights are not folded: they stay as stored and
  // are upcast per use); on small maps that copy costs more than ConvTranspose's col2im (SD 1.5 backward,
  // 2 CPU threads: 64×64 flip 43 ms vs 59; 32×32 55 vs 46; 16×16 112 vs 51).
  const positions = (gy.shape.slice(2) as number[]).reduce((p, d) => p * d, 1);
  if (a.strides.every((v) => v === 1) && flippedPads.every((p) => p >= 0) && positions > 16 * 16) {
    // w [O, C/G, k…] → per group transpose to [C, O/G, k…]; the kernel's spatial flip goes on the weight
    // (large maps) or on the maps, F(Conv(F(gy), wᵀ)) with each axis' pads swapped (up to 32×32, where
    // the maps are smaller than the weight: 32×32 SD 1.5 layers 10–20% faster than ConvTranspose).
    const [o, cg] = [staticDim(w.shape[0], 'Conv weight'), staticDim(w.shape[1], 'Conv weight')];
    const g = a.group;
    const wt = op.Reshape(op.Transpose(op.Reshape(w, [g, o / g, cg, ...k]), [0, 2, 1, ...k.map((_, i) => 3 + i)]), [g * cg, o / g, ...k]);
    const flip = (x: Value) => op.Slice(x, k.map(() => -1), k.map(() => -(2 ** 31)), k.map((_, i) => 2 + i), k.map(() => -1));
    const attrs = { strides: a.strides, dilations: a.dilations, group: g };
    if (positions > 32 * 32) return op.Conv(gy, flip(wt), undefined, { ...attrs, pads: flippedPads });
    if (k.every((kk) => kk === 1)) return op.Conv(gy, wt, undefined, { ...attrs, pads: flippedPads });
    return flip(op.Conv(flip(gy), wt, undefined, { ...attrs, pads: [...flippedPads.slice(s), ...flippedPads.slice(0, s)] }));
  }
  const output_padding = k.map((kk, i) => {
    const size = staticDim(xShape[2 + i], 'Conv input size');
    const ho = staticDim(gy.shape[2 + i], 'Conv output size');
    return size - (a.strides[i]! * (ho - 1) + a.dilations[i]! * (kk - 1) + 1 - a.pads[i]! - a.pads[s + i]!);
  });
  return op.ConvTranspose(gy, w, { ...a, output_padding });
}

/** Gradient of Conv(x, w) w.r.t. w [O, C/G, kh, kw] (2-d), given gy [N, O, Ho, Wo]. */
export function convWeightGrad(x: Value, gy: Value, wShape: Shape, a: ConvAttrs): Value {
  if (x.rank !== 4) throw new Error(`autodiff: Conv weight gradient is implemented for 2-d convolutions, got ${x}`);
  const [o, cg, kh, kw] = [0, 1, 2, 3].map((i) => staticDim(wShape[i], 'Conv weight')) as [number, number, number, number];
  const [ho, wo] = [staticDim(gy.shape[2], 'Conv output height'), staticDim(gy.shape[3], 'Conv output width')];
  const g = a.group;
  const [sh, sw] = a.strides as [number, number];
  const [dh, dw] = a.dilations as [number, number];
  const [pt, pl, pb, pr] = a.pads as [number, number, number, number];
  const xp = op.Pad(x, [0, 0, pt, pl, 0, 0, pb, pr]);
  const cols: Value[] = [];
  for (let ky = 0; ky < kh; ky++)
    for (let kx = 0; kx < kw; kx++) {
      const sl = op.Slice(xp, [ky * dh, kx * dw], [ky * dh + sh * (ho - 1) + 1, kx * dw + sw * (wo - 1) + 1], [2, 3], [sh, sw]);
      cols.push(op.Reshape(sl, [0, g * cg, 1, ho * wo]));
    }
  const xcol = op.Reshape(op.Concat(cols, 2), [0, g, cg * kh * kw, ho * wo]); // [N, G, C/G·k², HoWo]
  const gt = op.Transpose(op.Reshape(gy, [0, g, o / g, ho * wo]), [0, 1, 3, 2]); // [N, G, HoWo, O/G]
  const dw_ = op.ReduceSum(op.MatMul(xcol, gt), [0], false); // [G, C/G·k², O/G]
  return op.Reshape(op.Transpose(dw_, [0, 2, 1]), [o, cg, kh, kw]);
}
