// Generation parameters as AUTOMATIC1111 writes them into a PNG's "parameters" text chunk, so the
// images open with their settings in A1111's "PNG Info", ComfyUI, Civitai and other tools:
//   <prompt>
//   Negative prompt: <negative prompt>            (line omitted when empty)
//   Steps: 30, Sampler: DPM++ 2M, CFG scale: 7.5, Seed: 1234, Size: 512x512, Model hash: 6ce0161689, Model: name
// A value containing "," ":" or a newline is written as a JSON string (A1111's `quote`).

import type { SamplerName } from '../../protocol/vocabulary';

/** A1111's display names for our samplers (PNDM's PLMS variant is "PLMS" there). */
export const A1111_SAMPLER_NAMES: Readonly<Record<SamplerName, string>> = {
  ddim: 'DDIM',
  pndm: 'PLMS',
  euler: 'Euler',
  euler_a: 'Euler a',
  dpmpp_2m: 'DPM++ 2M',
  dpmpp_2m_karras: 'DPM++ 2M Karras',
};

export interface GenerationInfo {
  prompt: string;
  negativePrompt?: string;
  steps: number;
  sampler: SamplerName;
  cfgScale: number;
  seed: number;
  width: number;
  height: number;
  /** A1111's short hash: the first 10 hex digits of the checkpoint's SHA-256. */
  modelHash?: string;
  modelName?: string;
  /** More "Key: value" pairs, appended in order (e.g. "Lora hashes", "Version"). */
  extra?: Record<string, string | number>;
}

function quote(value: string): string {
  return /[,:\n]/.test(value) ? JSON.stringify(value) : value;
}

/** Python's str() of a float: 7 → "7.0", 7.5 → "7.5". */
function pyFloat(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

export function formatParameters(info: GenerationInfo): string {
  const params: [string, string | undefined][] = [
    ['Steps', String(info.steps)],
    ['Sampler', A1111_SAMPLER_NAMES[info.sampler]],
    ['CFG scale', pyFloat(info.cfgScale)],
    ['Seed', String(info.seed)],
    ['Size', `${info.width}x${info.height}`],
    ['Model hash', info.modelHash],
    ['Model', info.modelName],
    ...Object.entries(info.extra ?? {}).map(([k, v]): [string, string] => [k, String(v)]),
  ];
  const line = params.filter((p): p is [string, string] => p[1] !== undefined).map(([k, v]) => `${k}: ${quote(v)}`).join(', ');
  const negative = info.negativePrompt ? `\nNegative prompt: ${info.negativePrompt}` : '';
  return `${info.prompt}${negative}\n${line}`.trim();
}

export interface ParsedParameters {
  prompt: string;
  negativePrompt: string;
  params: Record<string, string>;
}

// one "Key: value" pair; a value is a JSON string or runs to the next comma (A1111's re_param)
const PARAM = /\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;

/** Reads a "parameters" text back, as A1111's parse_generation_parameters does. */
export function parseParameters(text: string): ParsedParameters {
  const lines = text.trim().split('\n');
  let last = lines[lines.length - 1] ?? '';
  const pairs = [...last.matchAll(PARAM)];
  const params: Record<string, string> = {};
  if (pairs.length >= 3) {
    lines.pop();
    for (const [, k, v] of pairs) params[k!] = v!.startsWith('"') && v!.endsWith('"') ? (JSON.parse(v!) as string) : v!;
  } else last = '';
  let prompt = '';
  let negative = '';
  let inNegative = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('Negative prompt:')) {
      inNegative = true;
      negative = line.slice('Negative prompt:'.length).trim();
    } else if (inNegative) negative += `\n${line}`;
    else prompt += (prompt ? '\n' : '') + line;
  }
  return { prompt, negativePrompt: negative, params };
}
