// The gallery form: reading it (clamped, with the extension's defaults for empty or invalid fields)
// and filling it (from the defaults, the saved state, a history entry or a PNG's parameters).
import type { SamplerName } from '../../protocol/vocabulary';
import type { Choice, GalleryForm } from '../../protocol/webview';
import { el } from '../dom';
import type { Page, ValueElement } from './page';

/** The pickers' entries; select options carry their index (an empty value, "no LoRA", is not a safe option value). */
export const choices = { models: [] as Choice[], loras: [] as Choice[] };

function options(select: ValueElement, list: Choice[], selected: number): void {
  select.replaceChildren(
    ...list.map((c, i) => {
      const option = el('vscode-option', { value: String(i), description: c.detail }, c.label);
      if (i === selected) option.setAttribute('selected', '');
      return option;
    }),
  );
  if (selected >= 0) select.value = String(selected);
}

/** Puts `value` in the LoRA picker (adding it when it is a file the list does not know) and selects it. */
export function selectLora(page: Page, value: string): void {
  let i = choices.loras.findIndex((c) => c.value === value);
  if (i < 0) {
    choices.loras.push({ value, label: value.split(/[/\\]/).pop()!.replace(/\.safetensors$/i, ''), detail: 'from settings' });
    i = choices.loras.length - 1;
  }
  options(page.lora, choices.loras, i);
}

export function setChoices(page: Page, models: Choice[], loras: Choice[]): void {
  const lora = currentLora(page);
  choices.models = models;
  choices.loras = loras;
  options(page.modelPick, models, models.findIndex((c) => c.value === page.model.value));
  selectLora(page, lora);
}

function currentLora(page: Page): string {
  return choices.loras[Number(page.lora.value)]?.value ?? '';
}

export function readForm(page: Page, d: GalleryForm): GalleryForm {
  const num = (e: { value: string }, fallback: number, min: number, max: number, integer = true) => {
    const n = integer ? Number.parseInt(e.value, 10) : Number.parseFloat(e.value);
    return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
  };
  return {
    model: page.model.value.trim() || d.model,
    lora: currentLora(page),
    loraScale: num(page.loraScale, d.loraScale, -4, 4, false),
    prompt: page.prompt.value.trim(),
    negativePrompt: page.negative.value.trim(),
    seed: num(page.seed, d.seed, -1, 2 ** 32 - 1),
    steps: num(page.steps, d.steps, 1, 200),
    guidance: num(page.guidance, d.guidance, 0, 50, false),
    sampler: page.sampler.value as SamplerName,
    count: num(page.count, d.count, 1, 16),
    // SD works in multiples of 8 pixels (the VAE's downsampling factor).
    width: Math.round(num(page.width, d.width, 8, 2048) / 8) * 8,
    height: Math.round(num(page.height, d.height, 8, 2048) / 8) * 8,
  };
}

/** Sets the fields `form` has; the others keep their values. */
export function fillForm(page: Page, form: Partial<GalleryForm>): void {
  const text = (e: ValueElement, v: string | number | undefined) => {
    if (v !== undefined) e.value = String(v);
  };
  text(page.prompt, form.prompt);
  text(page.negative, form.negativePrompt);
  text(page.seed, form.seed);
  text(page.steps, form.steps);
  text(page.guidance, form.guidance);
  text(page.count, form.count);
  text(page.width, form.width);
  text(page.height, form.height);
  text(page.loraScale, form.loraScale);
  if (form.sampler !== undefined) page.sampler.value = form.sampler;
  if (form.model !== undefined) {
    page.model.value = form.model;
    const i = choices.models.findIndex((c) => c.value === form.model);
    if (i >= 0) page.modelPick.value = String(i);
  }
  if (form.lora !== undefined) selectLora(page, form.lora);
}

export function setSamplers(page: Page, samplers: readonly SamplerName[], selected: SamplerName): void {
  page.sampler.replaceChildren(
    ...samplers.map((s) => {
      const option = el('vscode-option', { value: s }, s);
      if (s === selected) option.setAttribute('selected', '');
      return option;
    }),
  );
  page.sampler.value = selected;
}
