// Where a training run writes inside the concept's `output` folder (runLayout's folders):
//   checkpoints/last.safetensors (+ last.optimizer.safetensors)   what --resume continues from
//   checkpoints/<name>-step-000200.safetensors                    every save_every steps (kohya LoRA)
//   exports/<name>.safetensors                                     the final LoRA (kohya), for generate --lora / A1111 / ComfyUI
//   checkpoints/settings.json                                      the settings the checkpoint was trained with (resume checks them)
//   samples/step-000200/NNNNN-<seed>.png                           sample images of sample_prompt at a step (generate's naming)
//   logs/train.jsonl                                               one line per step (training/log.ts)
//   previous/<time>/                                               a run that training from scratch moved aside (run-archive.ts)
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
    samplesAt: l.samplesAt,
    settings: l.settings,
    log: l.trainLog,
  };
}
