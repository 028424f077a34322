// The checkpoint tensors a training step's graph is bound to, and the starting values of what it trains
// in full. With the text encoder in the step, its weights join the UNet's under the graph's
// `text_encoder.` scope, so one binding checks both (every missing or unexpected key reported).
import type { ComponentWeights, SdCheckpoint } from '../weights/checkpoint-types';
import { readRefF32 } from '../weights/tensor-ref';
import { TEXT_ENCODER_SCOPE } from './lora';
import type { TrainStepGraph } from './step-graph';

export function stepWeights(ck: SdCheckpoint, spec: Pick<TrainStepGraph, 'conditioning'>): ComponentWeights {
  const unet = ck.weights.unet;
  if (spec.conditioning === 'context') return unet;
  const te = ck.weights.text_encoder;
  const tensors = new Map(unet.tensors);
  for (const [k, t] of te.tensors) tensors.set(`${TEXT_ENCODER_SCOPE}.${k}`, t);
  return { component: 'unet', source: unet.source === te.source ? unet.source : `${unet.source} and ${te.source}`, tensors };
}

/** The checkpoint's values (float32) of the parameters trained in full; adapters are not in it. */
export async function baseValues(ck: SdCheckpoint, spec: Pick<TrainStepGraph, 'conditioning' | 'params'>): Promise<Map<string, Float32Array>> {
  const weights = stepWeights(ck, spec);
  const out = new Map<string, Float32Array>();
  for (const p of spec.params) {
    const ref = weights.tensors.get(p.name);
    if (ref) out.set(p.name, await readRefF32(ref));
  }
  return out;
}
