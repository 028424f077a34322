// Export test helpers: a copy of examples/zwx (run "zwx") with hand-made trained weights in place of a
// training run, a LoRA with non-zero up weights on UNet and text-encoder modules, and reading every
// weight of an opened model as float32.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { copyExample } from '../helpers/example-project';
import { openCheckpoint, type SdCheckpoint } from '../../sidecar/weights/checkpoint';
import { kohyaTargets, type Component } from '../../sidecar/weights/sd1-keymap';
import { writeSafetensors, type StWriteTensor } from '../../sidecar/weights/safetensors';
import { readRefF32 } from '../../sidecar/weights/tensor-ref';

export const TINY = join(__dirname, '../../fixtures/tiny-sd');
export const COMPONENTS: Component[] = ['unet', 'vae', 'text_encoder'];

export type F32Tensor = { dtype: 'F32'; shape: number[]; data: Float32Array };

/** Deterministic values in [-amp, amp]. */
export const wave = (n: number, phase: number, amp: number) => Float32Array.from({ length: n }, (_, i) => amp * Math.sin(1.7 * i + phase));

/** A project whose run has `tensors` as its trained weights (exports/zwx.safetensors, or the last checkpoint). */
export async function projectWith(root: string, name: string, tensors: Record<string, StWriteTensor>, o: { metadata?: Record<string, string>; unfinished?: boolean } = {}) {
  const { file, dir } = await copyExample(root, name);
  const target = o.unfinished ? join(dir, 'runs/checkpoints/zwx-step-000001.safetensors') : join(dir, 'runs/exports/zwx.safetensors');
  await mkdir(join(target, '..'), { recursive: true });
  await writeSafetensors(target, tensors, o.metadata);
  return { file, dir, exports: join(dir, 'runs/exports'), trained: target };
}

/**
 * A rank-2 kohya LoRA on the tiny model: every UNet attention projection and the text encoder's
 * q/k/v/out projections, up ≠ 0 (a trained LoRA starts at up = 0, which would change nothing).
 */
export async function testLora(): Promise<Record<string, F32Tensor>> {
  const ck = await openCheckpoint(TINY);
  const out: Record<string, F32Tensor> = {};
  let phase = 0;
  for (const c of ['unet', 'text_encoder'] as Component[]) {
    for (const [kohya, key] of kohyaTargets(c, ck.weights[c].tensors.keys())) {
      if (!/(to_[qkv]|to_out_0|[qkv]_proj|out_proj)$/.test(kohya)) continue;
      const [rows, cols] = ck.weights[c].tensors.get(key)!.shape as [number, number];
      out[`${kohya}.lora_down.weight`] = { dtype: 'F32', shape: [2, cols], data: wave(2 * cols, phase++, 0.3) };
      out[`${kohya}.lora_up.weight`] = { dtype: 'F32', shape: [rows, 2], data: wave(rows * 2, phase++, 0.3) };
      out[`${kohya}.alpha`] = { dtype: 'F32', shape: [], data: Float32Array.of(1) };
    }
  }
  return out;
}

/** Every weight of a model, by component and diffusers key, as float32. */
export async function allWeights(ck: SdCheckpoint): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const c of COMPONENTS) for (const [key, ref] of ck.weights[c].tensors) if (!key.endsWith('position_ids')) out.set(`${c}:${key}`, await readRefF32(ref));
  return out;
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}
