// Captions from templates: the object, its colour and the background are always named (the colour
// and the shape noun sometimes give way to the class noun "shape"), size and position often; so the
// model learns each word alone and "a photo of a shape" means "any of the world's shapes".
import type { WorldRandom } from './random';
import type { Scene } from './scene';
import { CLASS_NOUN, POSITION_PHRASES, SUBJECT, type TextureName } from './vocabulary';

export function backgroundPhrase(colour: string, texture: TextureName): string {
  return texture === 'plain' ? `${colour} background` : `${colour} ${texture} background`;
}

/** A caption naming the scene's attributes; `r` decides which optional parts appear. */
export function caption(s: Scene, r: WorldRandom): string {
  if (s.shape === SUBJECT.label) throw new Error('world: the subject has no world caption (its prompt is the concept file\'s instance prompt)');
  const noun = r.chance(0.1) ? CLASS_NOUN : s.shape;
  const words = [r.chance(0.5) ? 'a photo of a' : 'a'];
  if (r.chance(0.4)) words.push(s.size);
  if (r.chance(0.9)) words.push(s.colour);
  words.push(noun);
  if (r.chance(0.4)) words.push(POSITION_PHRASES[s.position]);
  if (r.chance(0.85)) words.push('on a', backgroundPhrase(s.background, s.texture));
  return words.join(' ').replace(/\ba (?=[aeiou])/g, 'an ');
}
