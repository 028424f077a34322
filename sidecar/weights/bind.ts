// Binding a graph's parameters to checkpoint tensors: a straight name → tensor map. Every missing,
// unexpected and mis-shaped key is collected and reported at once, by name, with both shapes.
import type { ComponentWeights, TensorRef } from './checkpoint-types';
import { ModelLoadError } from './load-errors';

export interface ParamSpec {
  name: string;
  shape: readonly number[];
}

/** Keys that checkpoints carry but that are buffers, not parameters (ignored when unexpected). */
const IGNORED_BUFFERS = [/\.position_ids$/, /^text_model\.embeddings\.position_ids$/];

/** A checkpoint key that holds a buffer the model computes itself (never bound, never exported). */
export function isIgnoredBuffer(key: string): boolean {
  return IGNORED_BUFFERS.some((re) => re.test(key));
}

function list(items: string[], max = 12): string {
  return items.slice(0, max).map((s) => `\n  ${s}`).join('') + (items.length > max ? `\n  ... and ${items.length - max} more` : '');
}

/**
 * Returns each parameter's tensor; throws one ModelLoadError describing every mismatch. `siblings` are
 * the parameters of the component's other graphs (the VAE encoder when binding its decoder): checked
 * the same way, so a half-built component still sees every key of the file as expected or not.
 */
export function bindWeights(params: readonly ParamSpec[], weights: ComponentWeights, siblings: readonly ParamSpec[] = []): Map<string, TensorRef> {
  const bound = new Map<string, TensorRef>();
  const missing: string[] = [];
  const misShaped: string[] = [];
  for (const p of [...params, ...siblings]) {
    const t = weights.tensors.get(p.name);
    if (!t) {
      missing.push(`${p.name} [${p.shape.join(', ')}]`);
      continue;
    }
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      const src = t.sourceKey === p.name ? '' : ` (stored as ${t.sourceKey} [${t.storedShape.join(', ')}])`;
      misShaped.push(`${p.name}: checkpoint [${t.shape.join(', ')}]${src}, model expects [${p.shape.join(', ')}]`);
      continue;
    }
    if (!['F32', 'F16', 'BF16'].includes(t.dtype)) {
      misShaped.push(`${p.name}: dtype ${t.dtype} (weights must be F32, F16 or BF16)`);
      continue;
    }
    bound.set(p.name, t);
  }
  const wanted = new Set([...params, ...siblings].map((p) => p.name));
  const unexpected = [...weights.tensors.keys()].filter((k) => !wanted.has(k) && !isIgnoredBuffer(k));
  if (missing.length || misShaped.length || unexpected.length) {
    const parts: string[] = [];
    if (misShaped.length) parts.push(`${misShaped.length} mis-shaped:${list(misShaped)}`);
    if (missing.length) parts.push(`${missing.length} missing:${list(missing)}`);
    if (unexpected.length) parts.push(`${unexpected.length} unexpected:${list(unexpected.map((k) => `${k} [${weights.tensors.get(k)!.shape.join(', ')}]`))}`);
    throw new ModelLoadError(`${weights.source}: the ${weights.component} weights do not match its config:\n${parts.join('\n')}`);
  }
  return bound;
}
