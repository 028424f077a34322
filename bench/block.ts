// Issue 3's block at SD 1.5's first-level size: Conv 320→320 3×3 on 64×64, and self-attention over
// 4096 tokens × 320 with 8 heads (q/k/v/out projections, as in a transformer block's attn1), forward
// and forward+backward. Built with the graph builder; parameters are graph inputs when a backward pass
// needs their gradients (as trainable weights are in training).
import { performance } from 'node:perf_hooks';
import { emitModel } from '../sidecar/onnx/emit';
import { Graph } from '../sidecar/graph/graph';
import * as op from '../sidecar/graph/ops';
import { attention, conv2dWith, linearWith } from '../sidecar/graph/nn';
import type { Value } from '../sidecar/graph/types';
import type { HostTensor } from '../sidecar/runtime/runtime';
import type { BenchCase, Timed } from './case';
import { randomParam } from './random-weights';

export type BlockPart = 'conv' | 'attention' | 'block';
const C = 320;
const HW = 64;
const TOKENS = HW * HW;
const HEADS = 8;

/** GFLOP of the forward pass (multiply-adds × 2; softmax and elementwise work left out). */
export function blockGflop(part: BlockPart): number {
  const conv = 2 * C * C * 9 * TOKENS;
  const attn = 4 * 2 * TOKENS * C * C + 2 * 2 * TOKENS * TOKENS * C;
  return ((part !== 'attention' ? conv : 0) + (part !== 'conv' ? attn : 0)) / 1e9;
}

interface BuiltBlock {
  graph: Graph;
  output: Value;
  params: Value<'Param'>[];
}

export function buildBlock(part: BlockPart, trainable: boolean): BuiltBlock {
  const g = new Graph(`block_${part}`);
  const p = (name: string, shape: number[]) => g.param(name, 'float32', shape, { trainable });
  let h: Value;
  if (part === 'attention') {
    h = g.input('x', 'float32', [1, TOKENS, C]);
  } else {
    const x = g.input('x', 'float32', [1, C, HW, HW]);
    h = g.scope('conv', () => conv2dWith(x, p('weight', [C, C, 3, 3]), p('bias', [C]), { padding: 1 }));
    if (part === 'block') h = op.Transpose(op.Reshape(h, [1, C, TOKENS]), [0, 2, 1]);
  }
  if (part !== 'conv') {
    const t = h;
    h = g.scope('attn1', () => {
      const proj = (name: string, bias: boolean) => g.scope(name, () => linearWith(t, p('weight', [C, C]), bias ? p('bias', [C]) : undefined));
      const a = attention(proj('to_q', false), proj('to_k', false), proj('to_v', false), HEADS);
      return g.scope('to_out.0', () => linearWith(a, p('weight', [C, C]), p('bias', [C])));
    });
  }
  g.output(h, 'y');
  return { graph: g, output: h, params: g.params };
}

function randomInput(dims: number[], seed: number): HostTensor {
  const bytes = randomParam(`input${seed}`, [dims.reduce((a, d) => a * d, 1), 1], 'float32', seed);
  return { dtype: 'float32', dims, data: new Float32Array(bytes.buffer) };
}

function inputDims(part: BlockPart): number[] {
  return part === 'attention' ? [1, TOKENS, C] : [1, C, HW, HW];
}

export function blockForward(part: BlockPart): BenchCase {
  return {
    name: `block_${part}_fwd`,
    what: `${part === 'block' ? 'conv + self-attention' : part} forward, 64×64×320 (4096 tokens, 8 heads), float32`,
    async prepare(): Promise<Timed> {
      const t0 = performance.now();
      const { graph } = buildBlock(part, false);
      const { bytes } = emitModel(graph, { weights: (name, v) => ({ kind: 'bytes', data: randomParam(name, v.shape as number[], 'float32'), dtype: 'float32' }) });
      return { source: { bytes }, feeds: { x: randomInput(inputDims(part), 7) }, buildS: (performance.now() - t0) / 1000, gflop: blockGflop(part) };
    },
  };
}
