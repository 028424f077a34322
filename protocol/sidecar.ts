// Every message between the extension host and the sidecar (JSON-RPC over stdio), declared once and
// imported by both ends. Call sites never spell a method string.
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { ExportFormat, ProviderName, SamplerName } from './vocabulary';

// ── handshake ────────────────────────────────────────────────────────────────────────────────────
export interface ProviderReport {
  name: ProviderName;
  available: boolean;
  /** Why it is (un)available, in words a user can act on. */
  reason: string;
}
export interface InitializeParams {
  /** Preferred provider order; the sidecar picks the first that works and says why. */
  providers: ProviderName[];
  /** CPU threads for ONNX Runtime; 0 or absent lets it decide. */
  threads?: number;
}
export interface InitializeResult {
  version: string;
  providers: ProviderReport[];
  chosen: ProviderName;
}
/** extension → sidecar, once after spawn. */
export const Initialize = new RequestType<InitializeParams, InitializeResult, void>('dreambooth/initialize');

// ── jobs ─────────────────────────────────────────────────────────────────────────────────────────
/** What to draw and how: a concept file's `generate` block, the gallery form, the CLI flags. */
export interface GenerationSettings {
  prompt: string;
  negativePrompt: string;
  count: number;
  steps: number;
  guidance: number;
  sampler: SamplerName;
  seed: number;
  width: number;
  height: number;
}
export interface GenerateParams extends GenerationSettings {
  /** Hub repo id, diffusers folder, or single-file .safetensors/.ckpt. */
  model: string;
  outDir: string;
  /** Optional LoRA (kohya .safetensors) applied on top of the base model. */
  lora?: string;
  /** The LoRA's strength (A1111's `<lora:name:weight>`); default 1. */
  loraScale?: number;
  /** Hugging Face token for gated/private repos; never logged or written anywhere. */
  hfToken?: string;
}
export interface TrainParams {
  /** Absolute path of the .dreambooth concept file; the sidecar parses it with the same module. */
  conceptFile: string;
  resume: boolean;
  hfToken?: string;
}
export interface PrepareParams {
  conceptFile: string;
  /** For a gated Hub model when class images must be generated. */
  hfToken?: string;
}
export interface ExportParams {
  /** The concept file whose run's trained weights (LoRA or full) are exported, on top of its base model. */
  conceptFile: string;
  format: ExportFormat;
  /** Write float16 (half the size) instead of float32. */
  half: boolean;
  /** A file (lora, checkpoint) or folder (diffusers); default: the run's exports/ folder (see runLayout). */
  out?: string;
  /** Replace an existing output; without it an existing one is refused. */
  force: boolean;
  hfToken?: string;
}
export type JobRequest =
  | { kind: 'generate'; params: GenerateParams }
  | { kind: 'train'; params: TrainParams }
  | { kind: 'prepare'; params: PrepareParams }
  | { kind: 'export'; params: ExportParams };
export type JobKind = JobRequest['kind'];

export interface JobStarted {
  jobId: string;
}
/** extension → sidecar: starts a job and returns at once; progress and the end arrive as notifications. */
export const StartJob = new RequestType<JobRequest, JobStarted, void>('dreambooth/job/start');
/** extension → sidecar: asks a job to stop at its next safe point (it still sends JobFinished). */
export const CancelJob = new RequestType<{ jobId: string }, void, void>('dreambooth/job/cancel');

/** When the extension goes away (stdin closes) the sidecar cancels its jobs — a training run saves a
 *  checkpoint at its next step — and exits once they have ended, or after this long; the extension
 *  kills a sidecar that is still there after it. */
export const SIDECAR_SHUTDOWN_GRACE_MS = 90_000;

/** One optimizer step, as the run's training log (`logs/train.jsonl`, one JSON object per line) records
 *  it and as training progress reports it: the terminal, the editor and the dashboard read the same. */
export interface TrainStepRecord {
  /** Optimizer steps done, 1-based. */
  step: number;
  loss: number;
  instanceLoss: number;
  /** 0 without prior preservation. */
  priorLoss: number;
  /** Learning rate used for this step. */
  lr: number;
  /** Global gradient norm before clipping; null when clipping is off (or not finite: a skipped step). */
  gradNorm: number | null;
  /** mixed_precision fp16: the loss scale of the step, and whether its gradients overflowed float16 so
   *  the update was skipped (as torch's GradScaler skips optimizer.step()). */
  lossScale?: number;
  skipped?: boolean;
  stepSeconds: number;
  /** Peak resident memory of the sidecar process so far, MiB. */
  peakRssMiB: number;
  /** Peak device memory so far, MiB, where the provider reports it. */
  peakDeviceMiB?: number;
  /** ISO time the step ended. */
  time: string;
}

export interface JobProgressParams {
  jobId: string;
  /** e.g. 'loading model', 'class images', 'training', 'denoising', 'decoding'. */
  phase: string;
  step: number;
  total: number;
  message?: string;
  etaSeconds?: number;
  loss?: number;
  /** Training steps carry their whole record. */
  train?: TrainStepRecord;
  /** Absolute paths of images produced so far in this phase (samples, results). */
  images?: string[];
}
/** sidecar → extension. */
export const JobProgress = new NotificationType<JobProgressParams>('dreambooth/job/progress');

export type JobStatus = JobOutcome['status'];
export type JobOutcome =
  | { status: 'done'; images: string[]; files: string[] }
  | { status: 'cancelled' }
  | { status: 'failed'; error: string };
export type JobFinishedParams = { jobId: string } & JobOutcome;
/** sidecar → extension, exactly once per started job. */
export const JobFinished = new NotificationType<JobFinishedParams>('dreambooth/job/finished');

/** sidecar → extension: a line for the output channel (never contains secrets). */
export type LogLevel = 'info' | 'warn' | 'error';
export const Log = new NotificationType<{ level: LogLevel; message: string }>('dreambooth/log');
