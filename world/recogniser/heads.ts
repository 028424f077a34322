// What the recogniser names: one classifier head per scene attribute, classes in vocabulary order
// (the trained weights depend on this order). The shape head has one class more than the world: the
// DreamBooth subject, so "is this ohwx?" is a class of the same head, and one for images that show
// no object at all (noise, smears), so a model drawing noise is not scored as drawing some shape.
import type { Scene } from '../generator/scene';

export const UNRECOGNISABLE = 'unrecognisable';
import { COLOUR_NAMES, POSITIONS, SHAPES, SIZES, SUBJECT, TEXTURES } from '../generator/vocabulary';

export const HEADS = {
  shape: [...SHAPES, SUBJECT.label, UNRECOGNISABLE],
  colour: COLOUR_NAMES,
  background: COLOUR_NAMES,
  texture: TEXTURES,
  size: SIZES,
  position: POSITIONS,
} as const satisfies Record<string, readonly string[]>;
export type HeadName = keyof typeof HEADS;
/** No head's label but the shape head's for such an image: its other attributes are not trained on. */
export const NO_LABEL = -1;
export const HEAD_NAMES = Object.keys(HEADS) as HeadName[];

/** The labels of an image without an object. */
export function unrecognisableLabels(): Record<HeadName, number> {
  const out = {} as Record<HeadName, number>;
  for (const h of HEAD_NAMES) out[h] = NO_LABEL;
  out.shape = HEADS.shape.indexOf(UNRECOGNISABLE);
  return out;
}

/** A scene's class index for every head. */
export function labelsOf(s: Scene): Record<HeadName, number> {
  const out = {} as Record<HeadName, number>;
  for (const h of HEAD_NAMES) {
    const i = (HEADS[h] as readonly string[]).indexOf(s[h]);
    if (i < 0) throw new Error(`recogniser: "${s[h]}" is not a class of the ${h} head`);
    out[h] = i;
  }
  return out;
}
