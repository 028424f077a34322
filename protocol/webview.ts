// Every message between the extension host and the gallery webview, declared once and imported by
// both ends (extension/panels/ and webview/gallery/). One discriminated union per direction; each
// side handles them in an exhaustive `switch` whose default is a `never` check.
import type { SamplerName } from './vocabulary';
import type { GenerationSettings, JobStatus } from './sidecar';
import type { TrainStepRecord } from './sidecar'; // the training dashboard's records

/** The form the gallery sends when the user presses Generate: the generation settings themselves
 *  (seed -1 asks for a random one, as in AUTOMATIC1111). */
export type GalleryForm = GenerationSettings;

/** One image, as the webview may show it: `src` is already a webview URI (asWebviewUri). */
export interface GalleryImage {
  src: string;
  /** File name, shown as a caption and used as alt text. */
  label: string;
}

/** webview → extension. */
export type WebviewToExtension =
  /** The page has loaded and registered its listener; only now may the extension post data. */
  | { type: 'ready' }
  | { type: 'generate'; form: GalleryForm }
  | { type: 'cancel' };

/** extension → webview. */
export type ExtensionToWebview =
  /** First message after `ready`: form defaults, the sampler list and images already on disk. */
  | { type: 'init'; form: GalleryForm; samplers: readonly SamplerName[]; model: string; images: GalleryImage[] }
  | { type: 'started' }
  | { type: 'progress'; phase: string; step: number; total: number; etaSeconds?: number; message?: string }
  | { type: 'images'; images: GalleryImage[] }
  | { type: 'finished'; status: JobStatus; error?: string };

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
