// Turning a model graph into a running session: bind its parameters to the checkpoint's tensors (by
// name, every mismatch reported), emit ONNX whose initializers point into the user's .safetensors in
// place, stage it beside hard links of those files, and load it into the runtime.
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../graph/graph';
import { emitModel } from '../onnx/emit';
import type { Runtime, Session, HostTensor } from '../runtime/runtime';
import { stageModel } from '../runtime/stage';
import { bindWeights, type ParamSpec } from '../weights/bind';
import type { ComponentWeights } from '../weights/checkpoint';
import { f32ArrayToF16, f16ArrayToF32 } from '../weights/safetensors';

/** Where staged .onnx files live: $DREAMBOOTH_CACHE, else ~/.cache/dreambooth (or the temp dir). */
export function defaultCacheDir(): string {
  if (process.env.DREAMBOOTH_CACHE) return join(process.env.DREAMBOOTH_CACHE, 'onnx');
  const home = homedir();
  return home ? join(home, '.cache', 'dreambooth', 'onnx') : join(tmpdir(), 'dreambooth-onnx');
}

export function paramSpecs(params: Graph['params']): ParamSpec[] {
  return params.map((p) => ({ name: p.name, shape: p.shape as number[] }));
}

/** `siblings`: parameter specs of the component's other graphs (see bindWeights). */
export async function loadComponent(rt: Runtime, graph: Graph, weights: ComponentWeights, opts: { cacheDir?: string; siblings?: ParamSpec[] } = {}): Promise<Session> {
  const params = paramSpecs(graph.params.filter((p) => !p.attrs.trainable));
  const bound = bindWeights(params, weights, opts.siblings);
  const { bytes, externalFiles } = emitModel(graph, {
    weights: (name) => {
      const t = bound.get(name);
      if (!t) throw new Error(`internal: parameter ${name} was not bound`);
      return { kind: 'file', path: t.file, offset: t.offset, length: t.length, dtype: t.dtype as 'F32' | 'F16' | 'BF16' }; // bindWeights admits only these
    },
  });
  const source = await stageModel(bytes, externalFiles, opts.cacheDir ?? defaultCacheDir());
  return rt.load(source, { name: graph.name });
}

/** A float tensor for a graph input of `dtype` (float16 inputs take IEEE half bits). */
export function floatTensor(data: Float32Array, dims: number[], dtype: 'float32' | 'float16' = 'float32'): HostTensor {
  return dtype === 'float16' ? { dtype, dims, data: f32ArrayToF16(data) } : { dtype, dims, data };
}

/** A session output as float32, whatever float type the graph produced. */
export function asF32(t: unknown, what: string): Float32Array {
  const h = t as HostTensor | undefined;
  if (!h || !('data' in h)) throw new Error(`${what}: missing or device-resident output`);
  if (h.dtype === 'float32') return h.data as Float32Array;
  if (h.dtype === 'float16') return f16ArrayToF32(h.data as Uint16Array);
  throw new Error(`${what}: expected a float output, got ${h.dtype}`);
}
