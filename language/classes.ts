// Class prompts for common DreamBooth subjects, in the canonical "photo of a ..." form the paper and
// the diffusers scripts use, and the well-known SD 1.x base models on the Hugging Face Hub.

export interface ClassPrompt {
  noun: string;
  prompt: string;
  group: 'people' | 'animals' | 'objects' | 'styles';
}

const article = (noun: string) => (/^[aeiou]/.test(noun) ? 'an' : 'a');
const photo = (group: ClassPrompt['group'], nouns: string[]): ClassPrompt[] =>
  nouns.map((noun) => ({ noun, prompt: `photo of ${article(noun)} ${noun}`, group }));

export const CLASS_PROMPTS: ClassPrompt[] = [
  ...photo('people', ['person', 'man', 'woman', 'boy', 'girl', 'child', 'baby', 'face']),
  ...photo('animals', ['dog', 'cat', 'puppy', 'kitten', 'horse', 'bird', 'rabbit', 'hamster', 'parrot']),
  ...photo('objects', ['backpack', 'toy', 'teddy bear', 'stuffed animal', 'sneaker', 'shoe', 'car', 'bicycle', 'house', 'building', 'cup', 'vase', 'clock', 'bottle', 'watch', 'handbag', 'chair', 'lamp', 'robot']),
  ...['painting', 'illustration', 'drawing', 'sketch', 'watercolor painting', 'oil painting', 'anime drawing', 'digital painting', 'pixel art'].map(
    (noun): ClassPrompt => ({ noun, prompt: `${article(noun)} ${noun}`, group: 'styles' }),
  ),
];

export const HUB_MODELS: { id: string; note: string }[] = [
  { id: 'runwayml/stable-diffusion-v1-5', note: 'Stable Diffusion 1.5 (the original repo id)' },
  { id: 'stable-diffusion-v1-5/stable-diffusion-v1-5', note: 'Stable Diffusion 1.5 (community mirror of the same weights)' },
  { id: 'CompVis/stable-diffusion-v1-4', note: 'Stable Diffusion 1.4' },
  { id: 'SG161222/Realistic_Vision_V5.1_noVAE', note: 'photorealistic SD 1.5 fine-tune' },
  { id: 'Lykon/dreamshaper-8', note: 'general-purpose SD 1.5 fine-tune' },
  { id: 'prompthero/openjourney', note: 'Midjourney-style SD 1.5 fine-tune' },
];
