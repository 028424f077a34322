// The fixed prompt set of the quality benchmark. Fidelity prompts name a shape, a colour and a
// background (every shape and every colour appears; object and background colours differ); the
// identity prompt is the concept file's instance prompt; the prior prompt its class prompt.
import { backgroundPhrase } from '../generator/caption';
import { CLASS_NOUN, COLOUR_NAMES, type ColourName, SHAPES, type ShapeName, SUBJECT } from '../generator/vocabulary';

export interface FidelityPrompt {
  prompt: string;
  shape: ShapeName;
  colour: ColourName;
  background: ColourName;
}

export const FIDELITY_PROMPTS: FidelityPrompt[] = SHAPES.map((shape, i) => {
  const colour = COLOUR_NAMES[(i * 3) % COLOUR_NAMES.length]!;
  const background = COLOUR_NAMES[(i * 3 + 1 + (i % 3) * 2) % COLOUR_NAMES.length]!;
  return { prompt: `a photo of a ${colour} ${shape} on a ${backgroundPhrase(background, 'plain')}`, shape, colour, background };
});

export const IDENTITY_PROMPT = `a photo of ${SUBJECT.identifier} ${CLASS_NOUN}`;
export const PRIOR_PROMPT = `a photo of a ${CLASS_NOUN}`;
