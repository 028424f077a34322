// The runtime's public types (see notes in runtime.ts). Everything here crosses the worker boundary
// or the module boundary, so it is plain data.
import type { ProviderName } from '../../protocol/vocabulary';

export type HostDType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8';
export type HostData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

/** A tensor in this thread's memory. float16 is raw IEEE half bits in a Uint16Array. */
export interface HostTensor {
  dtype: HostDType;
  dims: readonly number[];
  data: HostData;
}

/** A handle to a tensor kept by the worker: on the GPU for WebGPU/CUDA, in the worker's memory on CPU. */
export interface DeviceTensor {
  readonly kind: 'device';
  readonly dtype: HostDType;
  readonly dims: readonly number[];
  readonly id: number;
  /** Where the worker holds it: 'cpu' (its own memory, CPU provider) or 'gpu-buffer' (WebGPU/CUDA). */
  readonly location: 'cpu' | 'gpu-buffer';
}

/** An external data file of a model given by content (`data`) or by a file the worker reads (`file`). */
export type ExternalDataSource = { path: string; data: Uint8Array } | { path: string; file: string };

/** A model as ONNX bytes (external data passed alongside) or as an .onnx path (external data beside it). */
export type ModelSource =
  | { bytes: Uint8Array; externalData?: ExternalDataSource[]; onnxPath?: undefined }
  | { onnxPath: string; bytes?: undefined; externalData?: undefined };

export interface LoadOptions {
  /** Used in error messages and logs, e.g. 'unet'. */
  name?: string;
  freeDimensionOverrides?: Record<string, number>;
  /**
   * Keep initializers as the files store them (float16 stays float16, memory-mapped, one copy) and upcast
   * per use inside the graph (emit with `castPerUse`): ORT's constant folding and float16-initializer
   * fusion would otherwise materialise a float32 copy of every weight at load (2× the memory, and most
   * of the load time for a UNet). ORT's CPU arena is off (see reuseBuffers).
   */
  weightsAsStored?: boolean;
  /**
   * Run ORT's graph optimisers when the session is created (the default). Off for a graph the emitter
   * already writes as they would leave it: the training step on the CPU provider, whose MatMuls take
   * their transposed operands into the kernel (emitModel's fuseTransposedMatMul, the one rewrite of
   * theirs that changes its speed). At SD 1.5 size they cost 7–9 s of every start there and gain
   * nothing more (12.4 s a step either way, measured 2026-11-29).
   */
  optimize?: boolean;
  /**
   * With `weightsAsStored`: keep freed CPU buffers for reuse (ORT's arena) instead of returning each to
   * the system. An inference graph allocates the same buffers at every run, and a buffer mapped afresh
   * is faulted in and zeroed page by page (SD 1.5 UNet step, float16 weights: 4.3 → 4.0 s, +60 MiB).
   * Not for a training step: its backward pass frees in another order than the forward allocated, and
   * an arena keeps what it once held (SD 1.5 LoRA step at 512²: 0.5 s faster, but 5.0 GiB instead of 4.0).
   */
  reuseBuffers?: boolean;
}

export interface RunOptions {
  /** Outputs to keep on the device (returned as DeviceTensor); the others come back as HostTensor. */
  keepOnDevice?: string[];
}

export interface Session {
  readonly name: string;
  readonly inputNames: string[];
  readonly outputNames: string[];
  run(feeds: Record<string, HostTensor | DeviceTensor>, opts?: RunOptions): Promise<Record<string, HostTensor | DeviceTensor>>;
  release(): Promise<void>;
}

export interface OpenOptions {
  /** Preference order; the first that works is used. Default: cuda, webgpu (hardware adapters only), cpu. */
  providers?: ProviderName[];
  /** Intra-op threads (ORT default when absent: one per core). */
  threads?: number;
  /** Worker script to run instead of the bundled one (tests). */
  workerPath?: string;
}

/** Automatic preference order (a software-only WebGPU adapter is passed over, see providers.ts). */
export const DEFAULT_PROVIDERS: ProviderName[] = ['cuda', 'webgpu', 'cpu'];

export function isDeviceTensor(t: HostTensor | DeviceTensor): t is DeviceTensor {
  return (t as DeviceTensor).kind === 'device';
}
