// Applying a LoRA by merging it into the base weights: W' = W + multiplier · scale · up·down
// (for convolutions, up is 1x1 and down carries the kernel: up [out, r] · down [r, in·k·k]). At load
// (generate --lora) one matrix product per module instead of two extra MatMuls per module in every UNet
// step; at export (weights/export-tensors.ts) one module at a time, as the writer reaches its weight.
import type { ComponentWeights } from './checkpoint-types';
import type { LoraModule } from './kohya-lora';
import { kohyaTargets } from './sd1-keymap';
import { ModelLoadError } from './load-errors';
import { readRefF32 } from './tensor-ref';

/**
 * The module of `lora` that modifies each weight of `weights` (by diffusers key), each checked to fit;
 * a module that matches no weight of this component, or does not fit its shape, is an error naming it.
 */
export function loraTargets(weights: ComponentWeights, lora: LoraModule[], source: string): Map<string, LoraModule> {
  const targets = kohyaTargets(weights.component, weights.tensors.keys());
  const out = new Map<string, LoraModule>();
  const unmatched: string[] = [];
  for (const m of lora.filter((l) => l.component === weights.component)) {
    const key = targets.get(m.kohya);
    if (!key) {
      unmatched.push(m.kohya);
      continue;
    }
    const ref = weights.tensors.get(key)!;
    const [rows, ...restShape] = ref.shape;
    const inner = restShape.reduce((a, d) => a * d, 1);
    const rank = m.down.shape[0]!;
    const upOk = m.up.shape[0] === rows && m.up.shape.slice(2).every((d) => d === 1);
    const downOk = m.down.data.length === rank * inner;
    if (!upOk || !downOk)
      throw new ModelLoadError(`${source}: LoRA module ${m.kohya} (down [${m.down.shape.join(', ')}], up [${m.up.shape.join(', ')}]) does not fit ${key} [${ref.shape.join(', ')}]`);
    out.set(key, m);
  }
  if (unmatched.length)
    throw new ModelLoadError(`${source}: ${unmatched.length} LoRA module(s) match no ${weights.component} weight of this model: ${unmatched.slice(0, 5).join(', ')}${unmatched.length > 5 ? ', ...' : ''}`);
  return out;
}

/** w (the weight, shape [out, ...]) += multiplier · scale · up·down, in place; returns w. */
export function addLora(w: Float32Array, m: LoraModule, multiplier: number): Float32Array {
  const rank = m.down.shape[0]!;
  const rows = m.up.shape[0]!;
  const inner = w.length / rows;
  const s = multiplier * m.scale;
  for (let o = 0; o < rows; o++)
    for (let r = 0; r < rank; r++) {
      const u = s * m.up.data[o * rank + r]!;
      if (u === 0) continue;
      const row = o * inner;
      const d = r * inner;
      for (let i = 0; i < inner; i++) w[row + i]! += u * m.down.data[d + i]!;
    }
  return w;
}

/** The merged weights of `component` (by diffusers key), for the modules of `lora` that target it. */
export async function mergeLora(weights: ComponentWeights, lora: LoraModule[], multiplier: number, source: string): Promise<Map<string, Float32Array>> {
  const merged = new Map<string, Float32Array>();
  for (const [key, m] of loraTargets(weights, lora, source)) merged.set(key, addLora(await readRefF32(weights.tensors.get(key)!), m, multiplier));
  return merged;
}
