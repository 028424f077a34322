// Prompt → text-encoder embeddings, as StableDiffusionPipeline.encode_prompt: pad to 77 with
// <|endoftext|>, truncate longer prompts (and say so), empty negative prompt = "".
import { ClipTokenizer } from '../tokenizer/clip';
import type { SdModel } from './sd-model';

export interface PromptEmbeddings {
  cond: Float32Array;
  uncond: Float32Array;
  /** Words that did not fit in CLIP's 77 tokens, per prompt (empty when none). */
  truncated: { prompt: string; negativePrompt: string };
}

const tokenizers = new Map<string, Promise<ClipTokenizer>>();

export function tokenizerFor(model: SdModel): Promise<ClipTokenizer> {
  const dir = model.checkpoint.tokenizerDir;
  let t = tokenizers.get(dir);
  if (!t) tokenizers.set(dir, (t = ClipTokenizer.fromFolder(dir)));
  return t;
}

export async function encodePrompts(model: SdModel, prompt: string, negativePrompt: string): Promise<PromptEmbeddings> {
  const tok = await tokenizerFor(model);
  const p = tok.encode(prompt);
  const n = tok.encode(negativePrompt);
  const out = await model.encodeText([n.ids, p.ids]);
  const both = out.last_hidden_state!;
  const half = both.length / 2;
  return {
    uncond: both.slice(0, half),
    cond: both.slice(half),
    truncated: { prompt: p.truncated ? p.dropped : '', negativePrompt: n.truncated ? n.dropped : '' },
  };
}
