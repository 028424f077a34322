// Every message between the extension host and the gallery webview, declared once and imported by
// both ends (extension/panels/ and webview/gallery/). One discriminated union per direction; each
// side handles them in an exhaustive `switch` whose default is a `never` check.
import type { SamplerName } from './vocabulary';
import type { GenerationSettings, JobStatus } from './sidecar';

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
