// What a benchmark case is and what it reports. Each case runs in its own process (child.ts), so the
// peak RSS it reports is its own.
import type { ProviderName } from '../protocol/vocabulary';
import type { HostTensor, LoadOptions, ModelSource, Runtime } from '../sidecar/runtime/runtime';

/** Prefix of the one stdout line where a child reports its result. */
export const RESULT_MARK = 'BENCH_RESULT_JSON ';

export interface CaseOptions {
  provider: ProviderName;
  threads: number;
  runs: number;
  /** Stop timing after this many seconds of runs (at least one run). */
  budgetS: number;
  cacheDir: string;
}

export interface CaseResult {
  name: string;
  what: string;
  provider: ProviderName;
  threads: number;
  /** Building the graph and emitting ONNX. */
  buildS?: number;
  /** Creating the ORT session (graph optimisation, weight loading). */
  loadS?: number;
  warmupS?: number[];
  timesS?: number[];
  medianS?: number;
  minS?: number;
  peakRssMiB?: number;
  gflop?: number;
  /** Launch of the case's process to the end of the first run (session creation included). */
  firstRunS?: number;
  /** What the case chose or estimated, in words (e.g. the training memory plan). */
  note?: string;
  outputShape?: number[];
  outputFinite?: boolean;
  error?: string;
}

/** A model to time: how to get it, and the inputs of one run. */
export interface Timed {
  source: ModelSource;
  /** Session options (default: the runtime's defaults). */
  load?: LoadOptions;
  feeds: Record<string, HostTensor>;
  buildS: number;
  gflop?: number;
  note?: string;
}

export interface BenchCase {
  name: string;
  what: string;
  prepare(opts: CaseOptions, rt: Runtime): Promise<Timed>;
}
