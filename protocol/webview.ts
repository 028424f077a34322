// Every message between the extension host and the webview panels, declared once and imported by
// both ends (extension/panels/ and webview/). One discriminated union per direction and panel; each
// side handles them in an exhaustive `switch` whose default is a `never` check.
import type { SamplerName } from './vocabulary';
import type { GenerationSettings, JobStatus } from './sidecar';
import type { TrainStepRecord } from './sidecar'; // the training dashboard's records

/** One image, as the webview may show it: `src` is already a webview URI (asWebviewUri). */
export interface GalleryImage {
  src: string;
  /** File name, shown as a caption and used as alt text. */
  label: string;
  /** Absolute path: the key the page names the image by when it asks for its parameters or to reveal it. */
  file: string;
}

// ── gallery ──────────────────────────────────────────────────────────────────────────────────────
/** The form the gallery sends when the user presses Generate (seed -1 asks for a random one, as in
 *  AUTOMATIC1111). */
export interface GalleryForm extends GenerationSettings {
  /** Hub repo id, diffusers folder or single-file .safetensors. */
  model: string;
  /** A kohya LoRA (.safetensors) applied on top of the model; '' for none. */
  lora: string;
  loraScale: number;
}

/** An entry of the model or LoRA picker. */
export interface Choice {
  value: string;
  label: string;
  /** Where it comes from ("concept file", "Hugging Face cache", "this run's exports", …). */
  detail: string;
}

/** One generation the gallery ran, for the concept file's history. */
export interface HistoryEntry {
  /** ISO time it started. */
  time: string;
  form: GalleryForm;
  status: JobStatus;
  images: GalleryImage[];
}

/** A PNG's A1111 `parameters`, as the gallery shows them. */
export interface ImageParameters {
  /** Where they come from (a file name). */
  source: string;
  /** The text chunk as written; what Copy copies. */
  text: string;
  /** The settings it states, as form fields (only those). */
  form: Partial<GalleryForm>;
  /** What could not be taken over, in words (an unknown sampler, a LoRA not found, …). */
  notes: string[];
}

export interface GalleryProgress {
  phase: string;
  step: number;
  total: number;
  etaSeconds?: number;
  message?: string;
}

/** webview → extension. */
export type WebviewToExtension =
  /** The page has loaded and registered its listener; only now may the extension post data. */
  | { type: 'ready' }
  | { type: 'generate'; form: GalleryForm }
  | { type: 'cancel' }
  /** Pick a diffusers folder or .safetensors checkpoint from disk. */
  | { type: 'browseModel' }
  /** Pick a kohya LoRA file from disk. */
  | { type: 'browseLora' }
  /** The parameters of an image the panel shows. */
  | { type: 'parameters'; file: string }
  /** A PNG dropped from the Explorer (a file: URI). */
  | { type: 'openPng'; uri: string }
  /** A PNG dropped from the OS: its bytes (the page can read a dropped file, not a path). */
  | { type: 'droppedPng'; name: string; bytes: Uint8Array }
  | { type: 'copy'; text: string }
  | { type: 'reveal'; file: string }
  | { type: 'clearHistory' };

/** extension → webview. */
export type ExtensionToWebview =
  /** First message after `ready`: the form, the pickers, images on disk, the history, and the
   *  running job if the panel came back while one runs (hide/show, reload). */
  | {
      type: 'init';
      form: GalleryForm;
      samplers: readonly SamplerName[];
      models: Choice[];
      loras: Choice[];
      images: GalleryImage[];
      history: HistoryEntry[];
      /** The concept file the history and LoRA exports belong to, for the heading. */
      concept?: string;
      running?: { progress?: GalleryProgress; images: GalleryImage[] };
    }
  /** The pickers changed (a file was chosen); `select` sets the form's field to it. */
  | { type: 'choices'; models: Choice[]; loras: Choice[]; select?: { model?: string; lora?: string } }
  | { type: 'started' }
  | ({ type: 'progress' } & GalleryProgress)
  | { type: 'images'; images: GalleryImage[] }
  | { type: 'finished'; status: JobStatus; error?: string }
  | { type: 'history'; history: HistoryEntry[] }
  | { type: 'parameters'; parameters: ImageParameters }
  /** A message for the status line (e.g. a dropped file without parameters). */
  | { type: 'notice'; text: string; error: boolean };

// ── prepared images ──────────────────────────────────────────────────────────────────────────────
/** One source photo of a concept and what training sees of it. */
export interface PreparedPhotoView {
  /** The source file's name. */
  name: string;
  source: string;
  /** The crop, when the photo was used. */
  crop?: GalleryImage;
  warnings: string[];
  skipped?: string;
}
export interface PreparedConceptView {
  name: string;
  instanceImages: string;
  photos: PreparedPhotoView[];
  ignored: string[];
  classImages: string;
  /** Up to a page of class images; `classCount` says how many there are. */
  classes: GalleryImage[];
  classCount: number;
  numClassImages: number;
}
export type PreparedView =
  | { state: 'prepared'; resolution: number; time: string; concepts: PreparedConceptView[] }
  /** Never prepared, or the report is unreadable: says which, and what to do. */
  | { state: 'missing'; reason: string };

export type PreparedToExtension = { type: 'ready' } | { type: 'prepare' } | { type: 'reveal'; file: string };
export type ExtensionToPrepared = { type: 'show'; concept: string; view: PreparedView; busy: boolean } | { type: 'busy'; busy: boolean };

/** The `never` check at the end of an exhaustive switch: a new message type fails the type check. */
export function unreachable(x: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(x)}`);
}

// ── training dashboard (extension/panels/dashboardPanel.ts ↔ webview/dashboard/) ────────────────
/** The run a dashboard shows: a concept file's training run. */
export interface DashboardRun {
  /** e.g. "zwx (examples/zwx/zwx.dreambooth)". */
  title: string;
  conceptFile: string;
  /** The run folder (the concept's output). */
  output: string;
  /** The run's planned steps (train.steps). */
  steps: number;
}

/** The sample images of one checkpoint; `step` null for images of an older layout (flat samples/). */
export interface DashboardSamples {
  step: number | null;
  images: GalleryImage[];
}

/** Where the run's training job stands in this window. */
export type DashboardJob =
  | { state: 'running'; phase: string; step: number; total: number; etaSeconds?: number; message?: string }
  | { state: 'queued'; behind: string[] }
  | { state: 'idle'; last?: JobStatus; error?: string };

/** What the dashboard page keeps (vscode.setState): the serializer revives the panel from it. */
export interface DashboardState {
  conceptFile: string;
  /** The loss curves' smoothing weight. */
  smoothing?: string;
}

/** webview → extension. */
export type DashboardToExtension =
  /** The page has loaded; the extension sends `init`. */
  | { type: 'ready' }
  | { type: 'cancel' }
  /** Train again: continues the checkpoint (the Train command's checks apply). */
  | { type: 'resume' };

/** extension → webview. */
export type ExtensionToDashboard =
  /** The whole state: on ready, and whenever the log was replaced (a resume trimmed it, a fresh run moved it). */
  | { type: 'init'; run: DashboardRun; records: TrainStepRecord[]; samples: DashboardSamples[]; job: DashboardJob }
  /** Steps appended to the log since the last message. */
  | { type: 'records'; records: TrainStepRecord[] }
  | { type: 'samples'; samples: DashboardSamples[] }
  | { type: 'job'; job: DashboardJob };
