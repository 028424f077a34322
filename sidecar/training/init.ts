// Fresh adapter weights as peft initialises them: lora_down (A) kaiming-uniform with a = √5, i.e.
// U(−1/√in, 1/√in), and lora_up (B) zero, so training starts from exactly the base model.
import { TorchGenerator } from '../random/torch-generator';
import type { LoraModuleParams } from './lora';

export function freshLoraWeights(modules: readonly LoraModuleParams[], seed: number): Map<string, Float32Array> {
  const gen = new TorchGenerator(seed);
  const w = new Map<string, Float32Array>();
  for (const m of modules) {
    const bound = 1 / Math.sqrt(m.inFeatures);
    const [r, inF] = m.down.shape as [number, number];
    w.set(m.down.name, gen.rand([r, inF]).map((u) => (2 * u - 1) * bound));
    w.set(m.up.name, new Float32Array(m.outFeatures * r));
  }
  return w;
}
