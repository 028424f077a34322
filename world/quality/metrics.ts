// The benchmark's numbers, from recognitions alone (so they are the same whether the images came
// from a model or from the world's own renderer):
//   fidelity   share of images whose recognised shape / colour / background is the prompted one
//   identity   share of identity-prompt images recognised as the subject, and their mean cosine
//              similarity to the instance images' embeddings (all pairs, as DreamBooth's DINO score)
//   prior      share of class-prompt images confidently recognised as one of the world's shapes,
//              share recognised as the subject (the class drifting towards the subject), and the
//              diversity of the recognised shapes (entropy / log 8: 1 when all shapes are equally common)
import { SHAPES, SUBJECT } from '../generator/vocabulary';
import type { Recognition } from '../recogniser/recognise';
import type { FidelityPrompt } from './prompts';

export interface QualityRow {
  fidelity: { shape: number; colour: number; background: number; all: number };
  identity: { recognised: number; similarity: number };
  prior: { shape: number; subject: number; diversity: number };
}

/** A prior image counts as a world shape when its shape head is at least this sure. */
export const CONFIDENT = 0.5;

const share = <T>(xs: readonly T[], f: (x: T) => boolean) => (xs.length ? xs.filter(f).length / xs.length : NaN);

export function fidelity(items: readonly { want: FidelityPrompt; got: Recognition }[]): QualityRow['fidelity'] {
  const ok = (k: 'shape' | 'colour' | 'background') => (i: (typeof items)[number]) => i.got.classes[k] === i.want[k];
  return {
    shape: share(items, ok('shape')),
    colour: share(items, ok('colour')),
    background: share(items, ok('background')),
    all: share(items, (i) => ok('shape')(i) && ok('colour')(i) && ok('background')(i)),
  };
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb || 1);
}

export function identity(generated: readonly Recognition[], instances: readonly Recognition[]): QualityRow['identity'] {
  let sum = 0;
  for (const g of generated) for (const r of instances) sum += cosine(g.embedding, r.embedding);
  return { recognised: share(generated, (g) => g.classes.shape === SUBJECT.label), similarity: sum / (generated.length * instances.length) };
}

export function prior(generated: readonly Recognition[]): QualityRow['prior'] {
  // a world shape, confidently: not the subject, not "unrecognisable" (noise)
  const world = generated.filter((g) => (SHAPES as readonly string[]).includes(g.classes.shape) && Math.max(...g.probs.shape) >= CONFIDENT);
  const counts = SHAPES.map((s) => world.filter((g) => g.classes.shape === s).length);
  const entropy = counts.reduce((h, c) => (c ? h - (c / world.length) * Math.log(c / world.length) : h), 0);
  return {
    shape: share(generated, (g) => world.includes(g)),
    subject: share(generated, (g) => g.classes.shape === SUBJECT.label),
    diversity: world.length ? entropy / Math.log(SHAPES.length) : 0,
  };
}
