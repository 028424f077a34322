// Blocked-layout convolutions for ONNX Runtime's CPU provider. ORT runs a float32 Conv in its fastest
// kernels (NCHWc: channels in blocks of 8 or 16, MLAS's direct convolution) only when its weight and
// bias are constant float32 initializers: its optimiser then reorders the filter once. A weight kept
// as stored (float16 on disk, upcast per use) is not constant, so those Convs ran as im2col + GEMM,
// 5–20% slower (SD 1.5 UNet step: 2.08 s of convolutions against 1.85 s). Here the filter is stored
// already blocked (a staged copy of the float16 bytes, same size) and the blocked-layout Conv of ORT's
// `com.microsoft.nchwc` domain is emitted directly, between the input and output reorders ORT's own
// transformation inserts. Only the CPU provider has these kernels; the block size is MLAS's
// (runtime `nchwcBlock`, 16 with AVX-512, 8 with AVX2).
import type { Graph } from '../graph/graph';
import { reachable } from '../graph/reach';
import type { Value } from '../graph/types';

export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

/**
 * The frozen float32 filters that can be stored blocked: 4-d, output and input channels multiples of
 * `block`, and read only as the weight of ungrouped Convs (a filter the backward pass also reads, e.g.
 * by ConvTranspose, needs the plain layout and is left as it is).
 */
export function blockableFilters(graph: Graph, block: number): Value<'Param'>[] {
  if (block <= 1) return [];
  const live = reachable(graph.outputs.map((o) => o.value));
  const ok = new Map<number, boolean>();
  for (const v of graph.values) {
    if (!live.has(v.id)) continue;
    for (const [i, x] of v.inputs.entries()) {
      if (x.op !== 'Param') continue;
      const asFilter = v.op === 'Conv' && i === 1 && (v as Value<'Conv'>).attrs.group === 1;
      ok.set(x.id, (ok.get(x.id) ?? true) && asFilter);
    }
  }
  return graph.params.filter((p) => {
    if (!ok.get(p.id) || p.attrs.trainable || p.dtype !== 'float32' || p.rank !== 4) return false;
    const [o, i] = p.shape as number[];
    return o! % block === 0 && i! % block === 0;
  });
}

/**
 * OIHW → MLAS's OIHWBiBo: [O/B][I/B][H][W][Bi][Bo] (element [o][i][h][w] at block o/B, i/B, input lane
 * i%B, output lane o%B), the order MlasReorderFilterOIHWBiBo writes. Element-size agnostic (2-byte
 * float16/bfloat16 bits here), so the staged copy keeps the stored dtype and size.
 */
export function blockFilter(src: Uint16Array, shape: readonly number[], block: number): Uint16Array {
  const [o, i, h, w] = shape as [number, number, number, number];
  if (src.length !== o * i * h * w) throw new Error(`blockFilter: ${src.length} elements for shape [${shape}]`);
  if (o % block || i % block) throw new Error(`blockFilter: channels ${o}×${i} are not multiples of ${block}`);
  const k = h * w;
  const out = new Uint16Array(src.length);
  let d = 0;
  for (let ob = 0; ob < o; ob += block)
    for (let ib = 0; ib < i; ib += block)
      for (let kk = 0; kk < k; kk++)
        for (let bi = 0; bi < block; bi++) {
          // src[(ob + bo) * i * k + (ib + bi) * k + kk] for bo = 0…block-1
          let s = ob * i * k + (ib + bi) * k + kk;
          for (let bo = 0; bo < block; bo++, s += i * k) out[d++] = src[s]!;
        }
  return out;
}
