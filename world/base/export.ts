// The trained model as a float16 diffusers folder (what is committed and embedded), written beside the
// target and swapped in when complete, so a reader never sees half a model.
import { copyFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TEXT_ENCODER_SCOPE } from '../../sidecar/training/lora';
import { writeComponent, writeSkeleton } from './folder';

/** The model card copied into the folder as its README.md. */
export const MODEL_CARD = join(__dirname, 'model-card.md');

export interface ModelWeights {
  vae: Map<string, Float32Array>;
  scalingFactor: number;
  /** The Trainer's parameters: UNet keys, and the text encoder's under `text_encoder.`. */
  unetAndText: Map<string, Float32Array>;
  step: number;
}

export function splitTrained(w: Map<string, Float32Array>): { unet: Map<string, Float32Array>; text_encoder: Map<string, Float32Array> } {
  const te = `${TEXT_ENCODER_SCOPE}.`;
  const unet = new Map<string, Float32Array>();
  const text_encoder = new Map<string, Float32Array>();
  for (const [k, v] of w) (k.startsWith(te) ? text_encoder.set(k.slice(te.length), v) : unet.set(k, v));
  return { unet, text_encoder };
}

export async function exportModel(out: string, m: ModelWeights, o: { half: boolean; metadata?: Record<string, string> }): Promise<void> {
  const staging = `${out}.partial`;
  await rm(staging, { recursive: true, force: true });
  await writeSkeleton(staging);
  await copyFile(MODEL_CARD, join(staging, 'README.md'));
  const { unet, text_encoder } = splitTrained(m.unetAndText);
  const metadata = { ...o.metadata, world_base_step: String(m.step) };
  await writeComponent(staging, 'vae', m.vae, { half: o.half, scalingFactor: m.scalingFactor, metadata });
  await writeComponent(staging, 'unet', unet, { half: o.half, metadata });
  await writeComponent(staging, 'text_encoder', text_encoder, { half: o.half, metadata });
  await rm(out, { recursive: true, force: true });
  await rename(staging, out);
}
