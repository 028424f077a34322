// A PNG's A1111 `parameters` text → the gallery's form fields ("use these settings"). The text is
// parsed by the same module that writes it (sidecar/images/infotext.ts, a pure leaf); what cannot be
// taken over (an unknown sampler, a LoRA or model the pickers do not know, a setting the gallery
// lacks) is said in `notes`, never silently dropped. No `vscode` import: unit-tested as is.
import { A1111_SAMPLER_NAMES, parseParameters } from '../../sidecar/images/infotext';
import { PngFormatError, readTextChunks } from '../../sidecar/images/png-chunks';
import type { SamplerName } from '../../protocol/vocabulary';
import type { Choice, GalleryForm, ImageParameters } from '../../protocol/webview';

/** Keys that describe the image but set nothing (or are read with another key). */
const INFORMATIONAL = new Set(['Model hash', 'Lora hashes', 'Version', 'Model']);

/** The name A1111 (and our generate job) writes for a model or LoRA: the file or repo name without .safetensors. */
export function shortName(value: string): string {
  const last = value.replace(/@[^/\\]*$/, '').split(/[/\\]/).filter(Boolean).pop() ?? '';
  return last.replace(/\.safetensors$/i, '');
}

/** The `parameters` text of a PNG, or undefined when it has none; throws PngFormatError for a non-PNG. */
export function pngParametersText(png: Uint8Array): string | undefined {
  return readTextChunks(png).parameters;
}

export interface Known {
  models: Choice[];
  loras: Choice[];
}

export function parametersToForm(text: string, known: Known): Pick<ImageParameters, 'form' | 'notes'> {
  const { prompt, negativePrompt, params } = parseParameters(text);
  const form: Partial<GalleryForm> = { prompt, negativePrompt };
  const notes: string[] = [];
  const int = (key: string, v: string, min: number, set: (n: number) => void) => {
    const n = Number(v);
    if (Number.isInteger(n) && n >= min) set(n);
    else notes.push(`${key} "${v}" is not a whole number${min > 0 ? ` ≥ ${min}` : ''}; kept the form's value.`);
  };
  for (const [key, v] of Object.entries(params)) {
    switch (key) {
      case 'Steps':
        int(key, v, 1, (n) => (form.steps = n));
        break;
      case 'Seed':
        int(key, v, 0, (n) => (form.seed = n));
        break;
      case 'CFG scale': {
        const g = Number(v);
        if (Number.isFinite(g) && g >= 0) form.guidance = g;
        else notes.push(`CFG scale "${v}" is not a number ≥ 0; kept the form's value.`);
        break;
      }
      case 'Sampler': {
        const sampler = (Object.entries(A1111_SAMPLER_NAMES) as [SamplerName, string][]).find(([, name]) => name === v)?.[0];
        if (sampler) form.sampler = sampler;
        else notes.push(`Sampler "${v}" is not available here (${Object.values(A1111_SAMPLER_NAMES).join(', ')}); kept the form's sampler.`);
        break;
      }
      case 'Size': {
        const m = /^(\d+)x(\d+)$/.exec(v);
        if (m) [form.width, form.height] = [Number(m[1]), Number(m[2])];
        else notes.push(`Size "${v}" is not WIDTHxHEIGHT; kept the form's size.`);
        break;
      }
      case 'Lora':
        takeLora(v, known, form, notes);
        break;
      default:
        if (!INFORMATIONAL.has(key)) notes.push(`"${key}: ${v}" is not a setting of this gallery; ignored.`);
    }
  }
  // No Lora key: the image was drawn from the model alone.
  if (!('Lora' in params)) form.lora = '';
  if (params.Model !== undefined) {
    const model = known.models.find((c) => shortName(c.value) === params.Model);
    if (model) form.model = model.value;
    else notes.push(`Model "${params.Model}" is not among the gallery's models; kept the form's model (choose it with Browse…).`);
  }
  if (/<lora:[^>]*>/i.test(prompt)) notes.push('The prompt has <lora:…> tags, which this generator does not read: choose the LoRA in the picker.');
  return { form, notes };
}

/** "name:weight" as our generate job writes it (name alone means weight 1). */
function takeLora(v: string, known: Known, form: Partial<GalleryForm>, notes: string[]): void {
  const m = /^(.*?)(?::(-?[\d.]+))?$/.exec(v.trim())!;
  const [name, weight] = [m[1]!, m[2] === undefined ? 1 : Number(m[2])];
  const lora = known.loras.find((c) => c.value && shortName(c.value) === name);
  if (!lora) {
    notes.push(`LoRA "${name}" is not among the gallery's LoRAs; kept the form's LoRA (choose its file with Browse…).`);
    return;
  }
  form.lora = lora.value;
  if (Number.isFinite(weight)) form.loraScale = weight;
  else notes.push(`LoRA weight "${m[2]}" is not a number; kept the form's weight.`);
}

export { PngFormatError };
