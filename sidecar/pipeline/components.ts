// Turning a model graph into a running session: bind its parameters to the checkpoint's tensors (by
// name, every mismatch reported), emit ONNX whose initializers point into the user's .safetensors in
// place, stage it beside hard links of those files (or, across file systems, read just its tensors),
// and load it into the runtime.
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Graph } from '../graph/graph';
import { emitModel } from '../onnx/emit';
import type { ModelSource, Runtime, Session, HostTensor, LoadOptions as RuntimeLoadOptions } from '../runtime/runtime';
import { stageModel } from '../runtime/stage';
import { stagedModelsDir } from '../runtime/cache';
import { bindWeights, type ParamSpec } from '../weights/bind';
import { blockedFilters } from './blocked-filters';
import { readRefBytes } from '../weights/tensor-ref';
import type { ComponentWeights, TensorRef } from '../weights/checkpoint';
import { f32ArrayToF16, f16ArrayToF32 } from '../weights/safetensors';

export function paramSpecs(params: Graph['params']): ParamSpec[] {
  return params.map((p) => ({ name: p.name, shape: p.shape as number[] }));
}

/**
 * `siblings`: parameter specs of the component's other graphs (see bindWeights).
 *
 * Normally the model is staged beside hard links of the weight files, so ONNX Runtime reads the
 * user's files in place. Hard links cannot cross file systems (a model on another drive than the
 * cache): then only this graph's tensors are read, by range, into one external-data blob handed to
 * the runtime in memory. That never reads whole multi-gigabyte checkpoints (a single-file checkpoint
 * holds all three networks, and Buffers stop at 4 GiB).
 */
export interface LoadOptions {
  cacheDir?: string;
  siblings?: ParamSpec[];
  /** Float32 replacements for some weights (a merged LoRA): written to an external blob, the rest stays in place. */
  overrides?: Map<string, Float32Array>;
  /** The training step: freed buffers are not kept for reuse (runtime LoadOptions reuseBuffers, which
   *  inference graphs get), and with its MatMuls fused it is loaded without ORT's optimisers (optimize). */
  training?: boolean;
  /** MLAS's block size (Runtime.nchwcBlock): float16 filters are then staged blocked for ORT's NCHWc
   *  Convs (pipeline/blocked-filters.ts). loadComponent passes its runtime's. */
  nchwcBlock?: number;
  /** MatMuls take their transposed operands into the kernel (emitModel's fuseTransposedMatMul: ORT's
   *  FusedMatMul, a CPU kernel). */
  fuseTransposedMatMul?: boolean;
}

/** The load options a runtime's kernels call for: what loadComponent passes, and benchmarks with it. */
export const runtimeKernels = (rt: Runtime): Pick<LoadOptions, 'nchwcBlock' | 'fuseTransposedMatMul'> => ({
  nchwcBlock: rt.nchwcBlock,
  fuseTransposedMatMul: rt.provider === 'cpu',
});

export async function loadComponent(rt: Runtime, graph: Graph, weights: ComponentWeights, options: LoadOptions = {}): Promise<Session> {
  const opts = { ...runtimeKernels(rt), ...options };
  const source = await componentSource(graph, weights, opts);
  try {
    return await rt.load(source, COMPONENT_LOAD(graph.name, opts));
  } catch (e) {
    // A staged entry damaged on disk (a crash of another program mid-copy, a full disk, a hand edit)
    // is rebuilt once; a model that fails to load afresh is a real error.
    if (source.onnxPath === undefined) throw e;
    await rm(dirname(source.onnxPath), { recursive: true, force: true });
    return rt.load(await componentSource(graph, weights, opts), COMPONENT_LOAD(graph.name, opts));
  }
}

/** How every component session is loaded: weights resident as stored (see runtime LoadOptions). */
export const COMPONENT_LOAD = (name: string, { training = false, fuseTransposedMatMul = false }: LoadOptions = {}): RuntimeLoadOptions => ({
  name,
  weightsAsStored: true,
  reuseBuffers: !training,
  optimize: !(training && fuseTransposedMatMul),
});

/** The component's ONNX with its weights bound, staged for the runtime (see loadComponent). */
export async function componentSource(graph: Graph, weights: ComponentWeights, opts: LoadOptions = {}): Promise<ModelSource> {
  const params = paramSpecs(graph.params.filter((p) => !p.attrs.trainable));
  // A weight trained in full is a graph input fed its master copy: expected in the checkpoint, not bound.
  const trained = paramSpecs(graph.params.filter((p) => p.attrs.trainable && weights.tensors.has(p.name)));
  const bound = bindWeights(params, weights, [...(opts.siblings ?? []), ...trained]);
  const cacheDir = opts.cacheDir ?? stagedModelsDir();
  await mkdir(cacheDir, { recursive: true });
  const cacheDevice = (await stat(cacheDir)).dev;
  const files = [...new Set([...bound.values()].map((t) => t.file))];
  const linkable = (await Promise.all(files.map(async (f) => (await stat(f)).dev === cacheDevice))).every(Boolean);
  if (linkable) {
    // (Across file systems the filters would be blocked in memory at every start: that costs more than it saves.)
    const blocked = opts.nchwcBlock ? await blockedFilters(graph, bound, opts.nchwcBlock, cacheDir, opts.overrides) : undefined;
    const { bytes, externalFiles } = emitModel(graph, {
      weights: (name) => {
        const o = opts.overrides?.get(name);
        if (o) return { kind: 'bytes', data: new Uint8Array(o.buffer, o.byteOffset, o.byteLength), dtype: 'F32' };
        const b = blocked?.get(name);
        if (b) return b;
        const t = bound.get(name)!;
        return { kind: 'file', path: t.file, offset: t.offset, length: t.length, dtype: t.dtype as 'F32' | 'F16' | 'BF16' }; // bindWeights admits only these
      },
      bytesLocation: 'overrides.bin',
      castPerUse: true,
      blockedFilters: blocked && new Set(blocked.keys()),
      fuseTransposedMatMul: opts.fuseTransposedMatMul,
    });
    return stageModel(bytes, externalFiles, cacheDir);
  }
  const data = await readRanges(bound);
  const { bytes, externalFiles } = emitModel(graph, {
    weights: (name) => {
      const o = opts.overrides?.get(name);
      if (o) return { kind: 'bytes', data: new Uint8Array(o.buffer, o.byteOffset, o.byteLength), dtype: 'F32' };
      return { kind: 'bytes', data: data.get(name)!, dtype: bound.get(name)!.dtype as 'F32' | 'F16' | 'BF16' };
    },
    bytesLocation: 'weights.bin',
    castPerUse: true,
    fuseTransposedMatMul: opts.fuseTransposedMatMul,
  });
  return { bytes, externalData: externalFiles.map((f) => ({ path: f.location, data: f.data! })) };
}

/** Each bound tensor's bytes, read by range. */
async function readRanges(bound: Map<string, TensorRef>): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const [name, t] of bound) out.set(name, await readRefBytes(t));
  return out;
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
