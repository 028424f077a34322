// The main-thread side of the runtime: `openRuntime()` starts the ONNX Runtime worker, and Runtime and
// Session forward calls to it. Device tensors are handles (ids) to tensors the worker keeps; they never
// cross threads until `download()`.
//
//   const rt = await openRuntime({ providers: ['webgpu', 'cpu'] });
//   const unet = await rt.load({ onnxPath }, { name: 'unet' });
//   const { w } = await unet.run({ x, w }, { keepOnDevice: ['w'] });   // w: DeviceTensor, fed back next run
//   const host = await rt.download(w as DeviceTensor);
//   await rt.close();
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ProviderReport } from '../../protocol/sidecar';
import type { ProviderName } from '../../protocol/vocabulary';
import type { CallName, WireModel, WorkerCalls, WorkerRequest, WorkerResponse } from './protocol';
import { DEFAULT_PROVIDERS, type DeviceTensor, type HostTensor, type LoadOptions, type ModelSource, type OpenOptions, type RunOptions, type Session } from './types';

export * from './types';

export interface Runtime {
  readonly provider: ProviderName;
  readonly report: ProviderReport[];
  /** MLAS's channel block (8 with AVX2, 16 with AVX-512) when the CPU provider runs blocked-layout
   *  Convs (onnx/nchwc.ts); 0 on other providers or where ORT has no such kernels. */
  readonly nchwcBlock: number;
  load(model: ModelSource, opts?: LoadOptions): Promise<Session>;
  /** Copies a device tensor into this thread's memory (the device copy stays until released). */
  download(t: DeviceTensor): Promise<HostTensor>;
  /** Frees device tensors; using them afterwards is an error. */
  release(...tensors: DeviceTensor[]): Promise<void>;
  /** Releases everything and ends the worker. */
  close(): Promise<void>;
}

/** The bundled worker beside this file (dist/), else the TypeScript source run through tsx (tests, bench). */
function spawnWorker(workerPath: string | undefined): Worker {
  if (workerPath) return new Worker(workerPath);
  const bundled = join(__dirname, 'ort-worker.js');
  if (existsSync(bundled)) return new Worker(bundled);
  const source = join(__dirname, 'worker.ts');
  if (!existsSync(source)) throw new Error(`ONNX Runtime worker not found: neither ${bundled} nor ${source} exists (run npm run build)`);
  const tsx = createRequire(__filename).resolve('tsx/cjs'); // (createRequire: keeps bundlers from resolving it)
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(source)});`, { eval: true });
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** Request/response over the worker's port; a dead worker fails every pending and later call. */
class WorkerClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: string | undefined;

  constructor(private readonly worker: Worker) {
    worker.unref(); // an idle runtime does not keep the process alive; pending calls ref it
    worker.on('message', (res: WorkerResponse) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      this.updateRef();
      if (res.ok) p.resolve(res.result);
      else p.reject(new Error(res.error));
    });
    worker.on('error', (e) => this.fail(`the ONNX Runtime worker crashed: ${e.message}`));
    worker.on('exit', (code) => this.fail(`the ONNX Runtime worker exited (code ${code})`));
  }

  call<K extends CallName>(call: K, args: WorkerCalls[K]['args']): Promise<WorkerCalls[K]['result']> {
    if (this.dead) return Promise.reject(new Error(this.dead));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.updateRef();
      this.worker.postMessage({ id, call, args } as WorkerRequest);
    });
  }

  async terminate(): Promise<void> {
    this.dead ??= 'the runtime is closed';
    await this.worker.terminate();
  }

  private fail(reason: string): void {
    this.dead ??= reason;
    for (const p of this.pending.values()) p.reject(new Error(`${reason}; the call was not completed`));
    this.pending.clear();
  }

  private updateRef(): void {
    if (this.pending.size) this.worker.ref();
    else this.worker.unref();
  }
}

/** Posting a typed array copies its whole ArrayBuffer: send views of a larger buffer as their own copy. */
function compact(feeds: Record<string, HostTensor | DeviceTensor>): Record<string, HostTensor | DeviceTensor> {
  const out: Record<string, HostTensor | DeviceTensor> = {};
  for (const [k, v] of Object.entries(feeds)) {
    out[k] = 'kind' in v || v.data.byteLength === v.data.buffer.byteLength ? v : { ...v, data: v.data.slice() as HostTensor['data'] };
  }
  return out;
}

class WorkerSession implements Session {
  constructor(
    private readonly client: WorkerClient,
    private readonly id: number,
    readonly name: string,
    readonly inputNames: string[],
    readonly outputNames: string[],
  ) {}

  run(feeds: Record<string, HostTensor | DeviceTensor>, opts: RunOptions = {}): Promise<Record<string, HostTensor | DeviceTensor>> {
    return this.client.call('run', { sessionId: this.id, feeds: compact(feeds), keepOnDevice: opts.keepOnDevice ?? [] });
  }

  async release(): Promise<void> {
    await this.client.call('releaseSession', { sessionId: this.id });
  }
}

class WorkerRuntime implements Runtime {
  private models = 0;
  constructor(
    private readonly client: WorkerClient,
    readonly provider: ProviderName,
    readonly report: ProviderReport[],
    readonly nchwcBlock: number,
  ) {}

  async load(model: ModelSource, opts: LoadOptions = {}): Promise<Session> {
    const name = opts.name ?? `model${++this.models}`;
    const wire: WireModel = model.onnxPath !== undefined ? { onnxPath: model.onnxPath } : { bytes: model.bytes, externalData: model.externalData ?? [] };
    const r = await this.client.call('load', { name, model: wire, freeDimensionOverrides: opts.freeDimensionOverrides, weightsAsStored: opts.weightsAsStored, optimize: opts.optimize, reuseBuffers: opts.reuseBuffers });
    return new WorkerSession(this.client, r.sessionId, name, r.inputNames, r.outputNames);
  }

  download(t: DeviceTensor): Promise<HostTensor> {
    return this.client.call('download', { tensorId: t.id });
  }

  async release(...tensors: DeviceTensor[]): Promise<void> {
    await this.client.call('releaseTensors', { ids: tensors.map((t) => t.id) });
  }

  async close(): Promise<void> {
    try {
      await this.client.call('close', null);
    } finally {
      await this.client.terminate();
    }
  }
}

/** Starts the worker, probes providers (preference order; CPU is the fallback) and returns the runtime. */
export async function openRuntime(opts: OpenOptions = {}): Promise<Runtime> {
  const client = new WorkerClient(spawnWorker(opts.workerPath));
  try {
    const { chosen, report, nchwcBlock } = await client.call('init', {
      providers: opts.providers ?? DEFAULT_PROVIDERS,
      explicit: opts.providers !== undefined,
      threads: opts.threads,
    });
    return new WorkerRuntime(client, chosen, report, nchwcBlock);
  } catch (e) {
    await client.terminate();
    throw e;
  }
}
