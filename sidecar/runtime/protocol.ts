// The messages between the main thread (runtime.ts) and the ONNX Runtime worker (worker.ts), declared
// once. Each call is a request with an id; the worker answers every request exactly once, in order.
import type { ProviderReport } from '../../protocol/sidecar';
import type { ProviderName } from '../../protocol/vocabulary';
import type { DeviceTensor, ExternalDataSource, HostTensor } from './types';

export type WireModel = { bytes: Uint8Array; externalData: ExternalDataSource[] } | { onnxPath: string };
export type WireValue = HostTensor | DeviceTensor;

/** Every call main → worker: its arguments and its result. */
export interface WorkerCalls {
  init: {
    args: { providers: ProviderName[]; explicit: boolean; threads?: number };
    /** `nchwcBlock`: see Runtime.nchwcBlock. */
    result: { chosen: ProviderName; report: ProviderReport[]; nchwcBlock: number };
  };
  load: {
    args: { name: string; model: WireModel; freeDimensionOverrides?: Record<string, number>; weightsAsStored?: boolean; optimize?: boolean; reuseBuffers?: boolean };
    result: { sessionId: number; inputNames: string[]; outputNames: string[] };
  };
  run: {
    args: { sessionId: number; feeds: Record<string, WireValue>; keepOnDevice: string[] };
    result: Record<string, WireValue>;
  };
  download: { args: { tensorId: number }; result: HostTensor };
  releaseTensors: { args: { ids: number[] }; result: null };
  releaseSession: { args: { sessionId: number }; result: null };
  /** Releases every tensor and session; the main thread terminates the worker after the answer. */
  close: { args: null; result: null };
}
export type CallName = keyof WorkerCalls;

export type WorkerRequest = { [K in CallName]: { id: number; call: K; args: WorkerCalls[K]['args'] } }[CallName];
export type WorkerResponse =
  | { id: number; ok: true; result: WorkerCalls[CallName]['result'] }
  | { id: number; ok: false; error: string };
