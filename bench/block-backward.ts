// Forward + backward of issue 3's block: the output and the gradients with respect to every weight and
// the input, for an upstream gradient `gy` fed in (as a loss's gradient would arrive). Weights are
// trainable graph inputs, as in training.
import { performance } from 'node:perf_hooks';
import { grad } from '../sidecar/autodiff/grad';
import { emitModel } from '../sidecar/onnx/emit';
import type { HostTensor } from '../sidecar/runtime/runtime';
import { type BlockPart, blockGflop, buildBlock } from './block';
import type { BenchCase, Timed } from './case';
import { randomParam } from './random-weights';

function tensor(name: string, dims: readonly number[], seed: number): HostTensor {
  const bytes = randomParam(name, dims, 'float32', seed);
  return { dtype: 'float32', dims: [...dims], data: new Float32Array(bytes.buffer) };
}

function blockBackward(part: BlockPart): BenchCase {
  return {
    name: `block_${part}_fwdbwd`,
    what: `${part === 'block' ? 'conv + self-attention' : part} forward + backward (grads of all weights and the input), float32`,
    async prepare(): Promise<Timed> {
      const t0 = performance.now();
      const { graph, output, params } = buildBlock(part, true);
      const x = graph.inputs[0]!;
      const gy = graph.input('gy', 'float32', output.shape);
      const grads = grad(output, [x, ...params], gy);
      graph.output(grads[0], 'grad.x');
      params.forEach((p, i) => graph.output(grads[i + 1]!, `grad.${p.name}`));
      const { bytes } = emitModel(graph);
      const feeds: Record<string, HostTensor> = {
        x: tensor('x_input', x.shape as number[], 7),
        gy: tensor('gy_input', output.shape as number[], 9),
      };
      for (const p of params) feeds[p.name] = tensor(p.name, p.shape as number[], 1);
      // Backward costs about twice the forward's multiply-adds (one product each for dx and dw).
      return { source: { bytes }, feeds, buildS: (performance.now() - t0) / 1000, gflop: 3 * blockGflop(part) };
    },
  };
}

export const BLOCK_BACKWARD_CASES: BenchCase[] = [blockBackward('conv'), blockBackward('attention'), blockBackward('block')];
