// What the recogniser names: one classifier head per scene attribute, classes in vocabulary order
// (the trained weights depend on this order). The shape head has one class more than the world: the
// DreamBooth subject, so "is this ohwx?" is a class of the same head.
import type { Scene } from '../generator/scene';
import { COLOUR_NAMES, POSITIONS, SHAPES, SIZES, SUBJECT, TEXTURES } from '../generator/vocabulary';

export const HEADS = {
  shape: [...SHAPES, SUBJECT.label],
  colour: COLOUR_NAMES,
  background: COLOUR_NAMES,
  texture: TEXTURES,
  size: SIZES,
  position: POSITIONS,
} as const satisfies Record<string, readonly string[]>;
export type HeadName = keyof typeof HEADS;
export const HEAD_NAMES = Object.keys(HEADS) as HeadName[];

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
