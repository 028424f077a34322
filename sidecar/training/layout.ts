// Where a training run writes inside the concept's `output` folder (runLayout's folders):
//   checkpoints/last.safetensors (+ last.optimizer.safetensors)   what --resume continues from
//   checkpoints/<name>-step-000200.safetensors                    every save_every steps (kohya LoRA)
//   exports/<name>.safetensors                                     the final LoRA (kohya), for generate --lora / A1111 / ComfyUI
//   exports/<name>-<format>[-fp16]                                 what `dreambooth export` writes by default (jobs/export.ts)
//   samples/NNNNN-<seed>.png                                       sample images of sample_prompt (generate's naming)
//   logs/train.jsonl                                               one line per step (training/log.ts)
import { join } from 'node:path';
import { runLayout } from '../../language/resolve';

export function trainFiles(output: string, name: string) {
  const l = runLayout(output);
  const pad = (step: number) => String(step).padStart(6, '0');
  return {
    checkpoints: l.checkpoints,
    last: join(l.checkpoints, 'last.safetensors'),
    lastOptimizer: join(l.checkpoints, 'last.optimizer.safetensors'),
    atStep: (step: number) => join(l.checkpoints, `${name}-step-${pad(step)}.safetensors`),
    final: l.exportedLora(name),
    exports: l.exports,
    samples: l.samples,
    log: join(l.logs, 'train.jsonl'),
  };
}
