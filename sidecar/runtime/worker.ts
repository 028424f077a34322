// The ONNX Runtime worker thread (bundled to dist/ort-worker.js). It owns every ORT object: sessions,
// device tensors (GPU buffers on WebGPU/CUDA; plain ORT tensors in this thread's memory on CPU) and the
// Identity sessions used for safe downloads. `session.run` blocks this thread, never the main one.
// Calls are answered strictly in order (one queue), so a release can never overtake a run.
import { readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { ProviderName } from '../../protocol/vocabulary';
import { identityModel, reorderProbeModel } from './onnx-wire';
import type { WireModel, WireValue, WorkerCalls, WorkerRequest, WorkerResponse } from './protocol';
import { chooseProvider, executionProviders } from './providers';
import type { DeviceTensor, HostData, HostDType, HostTensor } from './types';

if (!parentPort) throw new Error('sidecar/runtime/worker.ts must run as a worker thread (see runtime.ts)');
const port = parentPort;

interface LoadedSession {
  name: string;
  session: ort.InferenceSession;
}

const state = {
  provider: 'cpu' as ProviderName,
  threads: undefined as number | undefined,
  sessions: new Map<number, LoadedSession>(),
  tensors: new Map<number, ort.Tensor>(),
  /** Identity sessions by `${dtype}/${rank}`, for downloads off the device. */
  identity: new Map<string, Promise<ort.InferenceSession>>(),
  nextId: 1,
};

const onDevice = (p: ProviderName): boolean => p !== 'cpu';

function sessionOptions(extra: ort.InferenceSession.SessionOptions = {}): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: executionProviders(state.provider),
    graphOptimizationLevel: 'all',
    ...(state.threads ? { intraOpNumThreads: state.threads } : {}),
    ...extra,
  };
}

/** Transformers for subgraphs our emitter never writes: quantized (QDQ, integer, n-bit), Dropout, Gemm
 *  (we emit MatMul, and MatMulAddFusion is off for weights as stored), SpaceToDepth-style slices,
 *  grouped-query attention, constant-index Gather. Each still walks the whole graph up to three
 *  times (2.6 of the 9 s it took to optimise the SD 1.5 training step; the result was the same). */
const NEVER_APPLY = [
  'EnsureUniqueDQForNodeUnit',
  'DoubleQDQPairsRemover',
  'QDQPropagationTransformer',
  'QDQS8ToU8Transformer',
  'QDQSelectorActionTransformer',
  'QDQFinalCleanupTransformer',
  'WeightBiasQuantization',
  'WhereDummyDq',
  'MatMulIntegerToFloatFusion',
  'DynamicQuantizeMatMulFusion',
  'MatMulNBitsFusion',
  'BiasDropoutFusion',
  'GemmActivationFusion',
  'SliceConcatToSpaceToDepthFusion',
  'GroupQueryAttentionFusion',
  'GroupQueryAttentionPreNormFusion',
  'GatherToSliceFusion',
];

/** See LoadOptions.weightsAsStored and reuseBuffers (runtime/types.ts). CommonSubexpressionElimination would merge the
 *  per-use Casts of a weight back into one long-lived copy; a memory pattern (one block sized by the
 *  first run's plan) only adds to the peak once the arena is off (SD 1.5 UNet: −0.1 GiB without).
 *  MatMulAddFusion turns a linear layer's MatMul + bias into a Gemm over the tokens flattened to 2-d,
 *  which MLAS ran at 364 GFLOP/s where the MatMul runs at 450 (SD 1.5 LoRA step at 512²: −0.13 s and
 *  −0.1 GiB without it; the UNet's inference step unchanged). */
const AS_STORED: ort.InferenceSession.SessionOptions = {
  enableCpuMemArena: false,
  enableMemPattern: false,
  extra: { optimization: { disable_specified_optimizers: ['ConstantFolding', 'FuseFp16InitializerToFp32NodeTransformer', 'CommonSubexpressionElimination', 'MatMulAddFusion', ...NEVER_APPLY].join(';') } },
};

/** A typed array that owns its whole buffer, so it can be transferred instead of copied. */
function ownedCopy(data: HostData): HostData {
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
  return whole ? data : (data.slice() as HostData);
}

function hostFromOrt(t: ort.Tensor, copy: boolean): HostTensor {
  const data = t.data as HostData;
  return { dtype: t.type as HostDType, dims: [...t.dims], data: copy ? (data.slice() as HostData) : ownedCopy(data) };
}

async function identityFor(dtype: HostDType, rank: number): Promise<ort.InferenceSession> {
  const key = `${dtype}/${rank}`;
  let s = state.identity.get(key);
  if (!s) {
    s = ort.InferenceSession.create(identityModel(dtype, rank), sessionOptions({ preferredOutputLocation: 'cpu' }));
    state.identity.set(key, s);
  }
  return s;
}

/** Brings a tensor to this thread's memory. Never calls getData() on device memory (it aborts the process). */
async function download(t: ort.Tensor, copy: boolean): Promise<HostTensor> {
  if (t.location === 'cpu') return hostFromOrt(t, copy);
  const identity = await identityFor(t.type as HostDType, t.dims.length);
  const { y } = await identity.run({ x: t });
  if (!y) throw new Error('download: the identity model returned no output "y"');
  if (y.location !== 'cpu') throw new Error(`download produced a tensor at '${y.location}', expected 'cpu'`);
  return hostFromOrt(y, false);
}

function feedValue(v: WireValue, input: string): ort.Tensor {
  if ('kind' in v && v.kind === 'device') {
    const t = state.tensors.get(v.id);
    if (!t) throw new Error(`input "${input}": device tensor #${v.id} was released or belongs to another runtime`);
    return t;
  }
  const h = v as HostTensor;
  return new ort.Tensor(h.dtype, h.data, h.dims);
}

/** MLAS's channel block for blocked-layout Convs (Runtime.nchwcBlock), read off a one-node model; 0 when
 *  this build of ORT has no such kernels or they do not block (a CPU without SIMD kernels for them). */
async function nchwcBlock(): Promise<number> {
  try {
    const s = await ort.InferenceSession.create(reorderProbeModel(), sessionOptions());
    try {
      const { y } = await s.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
      const block = y?.dims[1] ?? 0;
      return block > 4 && block % 4 === 0 ? block : 0;
    } finally {
      await s.release();
    }
  } catch {
    return 0;
  }
}

async function loadModel(model: WireModel, opts: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  if ('onnxPath' in model) return ort.InferenceSession.create(model.onnxPath, opts);
  const externalData = await Promise.all(
    model.externalData.map(async (e) => ({ path: e.path, data: 'data' in e ? e.data : await readFile(e.file) })),
  );
  return ort.InferenceSession.create(model.bytes, externalData.length ? { ...opts, externalData } : opts);
}

const handlers: { [K in keyof WorkerCalls]: (args: WorkerCalls[K]['args']) => Promise<WorkerCalls[K]['result']> } = {
  async init({ providers, explicit, threads }) {
    state.threads = threads;
    const r = await chooseProvider(providers, explicit);
    state.provider = r.chosen;
    return { ...r, nchwcBlock: r.chosen === 'cpu' ? await nchwcBlock() : 0 };
  },

  async load({ name, model, freeDimensionOverrides, weightsAsStored, optimize, reuseBuffers }) {
    let session: ort.InferenceSession;
    const opts = sessionOptions({
      ...(freeDimensionOverrides ? { freeDimensionOverrides } : {}),
      ...(weightsAsStored ? AS_STORED : {}),
      ...(weightsAsStored && reuseBuffers ? { enableCpuMemArena: true } : {}),
      ...(optimize === false ? { graphOptimizationLevel: 'disabled' as const } : {}),
      // On a device, outputs stay there; run() downloads the ones the caller did not ask to keep.
      ...(onDevice(state.provider) ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
    });
    try {
      session = await loadModel(model, opts);
    } catch (e) {
      const where = 'onnxPath' in model ? ` from ${model.onnxPath}` : '';
      throw new Error(`loading model "${name}"${where} failed: ${(e as Error).message}`);
    }
    const sessionId = state.nextId++;
    state.sessions.set(sessionId, { name, session });
    return { sessionId, inputNames: [...session.inputNames], outputNames: [...session.outputNames] };
  },

  async run({ sessionId, feeds, keepOnDevice }) {
    const s = state.sessions.get(sessionId);
    if (!s) throw new Error(`session #${sessionId} was released`);
    const unknown = keepOnDevice.filter((n) => !s.session.outputNames.includes(n));
    if (unknown.length) throw new Error(`model "${s.name}": keepOnDevice names unknown outputs ${unknown.join(', ')}`);
    let outputs: ort.InferenceSession.ReturnType;
    try {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = feedValue(v, k);
      outputs = await s.session.run(ortFeeds);
    } catch (e) {
      throw new Error(`model "${s.name}": ${(e as Error).message}`);
    }
    const result: Record<string, WireValue> = {};
    for (const [k, t] of Object.entries(outputs) as [string, ort.Tensor][]) {
      if (keepOnDevice.includes(k)) {
        const id = state.nextId++;
        state.tensors.set(id, t);
        const location = t.location === 'cpu' ? 'cpu' : 'gpu-buffer';
        const d: DeviceTensor = { kind: 'device', dtype: t.type as HostDType, dims: [...t.dims], id, location };
        result[k] = d;
      } else {
        result[k] = await download(t, false);
        if (t.location !== 'cpu') t.dispose();
      }
    }
    return result;
  },

  async download({ tensorId }) {
    const t = state.tensors.get(tensorId);
    if (!t) throw new Error(`device tensor #${tensorId} was released or belongs to another runtime`);
    return download(t, true);
  },

  async releaseTensors({ ids }) {
    for (const id of ids) {
      const t = state.tensors.get(id);
      state.tensors.delete(id);
      if (t && t.location !== 'cpu') t.dispose();
    }
    return null;
  },

  async releaseSession({ sessionId }) {
    const s = state.sessions.get(sessionId);
    state.sessions.delete(sessionId);
    await s?.session.release();
    return null;
  },

  async close() {
    await handlers.releaseTensors({ ids: [...state.tensors.keys()] });
    for (const id of [...state.sessions.keys()]) await handlers.releaseSession({ sessionId: id });
    for (const s of state.identity.values()) await (await s).release();
    state.identity.clear();
    return null;
  },
};

/** Typed arrays of results are moved, not copied, to the main thread. */
function transferables(result: unknown): ArrayBuffer[] {
  if (!result || typeof result !== 'object') return [];
  const values = 'data' in result ? [result] : Object.values(result as Record<string, unknown>);
  return values.flatMap((v) => {
    const data = (v as Partial<HostTensor>)?.data;
    return data && data.buffer instanceof ArrayBuffer ? [data.buffer] : [];
  });
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (req: WorkerRequest) => {
  queue = queue.then(async () => {
    let response: WorkerResponse;
    try {
      const handler = handlers[req.call] as (args: unknown) => Promise<WorkerCalls[typeof req.call]['result']>;
      response = { id: req.id, ok: true, result: await handler(req.args) };
    } catch (e) {
      response = { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(response, response.ok ? transferables(response.result) : []);
  });
});
