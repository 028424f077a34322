// Semantic diagnostics: keys, types, ranges, required keys, block names, identifiers, prompts, and
// (when the file's folder is known) the instance-image folders and local model paths.
import { existsSync, statSync } from 'node:fs';
import type { Block, ConceptDoc, Diagnostic, Property, Range, Severity, Value } from './ast';
import { describeValue, replaceFix } from './ast';
import { identifierInfo, rareIdentifiers, showTokens } from './identifiers';
import { scanImageFolder, type FolderScan } from './images';
import { parseConcept, byPosition } from './parse';
import { renameIdentifier } from './rename';
import { absolutePath, DEFAULT_GENERATE_NAME, keyNames, modelLooksLikePath, valueFits } from './resolve';
import { BLOCKS, describeType, keySpec, type Scope, type ValueType } from './schema';
import { classNoun, didYouMean, mentions, wordPattern } from './text';

export interface ValidateOptions {
  /** Folder of the concept file; without it (an unsaved editor) filesystem checks are skipped. */
  fileDir?: string;
  /** How to look into an image folder (the language server passes a cached one); default scanImageFolder. */
  scanFolder?: (dir: string) => FolderScan;
}

/** Fewer instance images than this gives a warning. */
export const MIN_INSTANCE_IMAGES = 5;
/** The usual step budget per instance image, and how far from it (a factor) we stay quiet. */
export const STEPS_PER_IMAGE = 100;
const STEPS_TOLERANCE = 2.5;

function isFile(path: string): boolean {
  try {
    return !statSync(path).isDirectory();
  } catch {
    return false;
  }
}

type Emit = (range: Range, severity: Severity, code: string, message: string, fix?: Diagnostic['fix']) => void;

function typeProblem(v: Value, t: ValueType): { message: string; fix?: string } | undefined {
  if (valueFits(v, t)) return undefined;
  const quoted = `"${v.raw.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  switch (t.kind) {
    case 'string':
    case 'prompt':
    case 'path':
    case 'model':
      return { message: `expected ${describeType(t)} in double quotes, got ${describeValue(v)}`, fix: v.kind === 'string' ? undefined : quoted };
    case 'integer':
    case 'number': {
      if (v.kind === 'string' && v.value.trim() !== '' && Number.isFinite(Number(v.value))) return { message: 'numbers are written without quotes', fix: v.value.trim() };
      if (v.kind !== 'number') return { message: `expected ${describeType(t)}, got ${describeValue(v)}` };
      if (t.kind === 'integer' && !Number.isInteger(v.value)) return { message: `expected a whole number, got ${v.raw}` };
      if (t.kind === 'integer' && t.multipleOf && v.value % t.multipleOf !== 0 && v.value >= t.min && v.value <= t.max) {
        const near = Math.max(t.min, Math.round(v.value / t.multipleOf) * t.multipleOf);
        return { message: `${v.raw} is not a multiple of ${t.multipleOf} (nearest: ${near})`, fix: String(near) };
      }
      return { message: `${v.raw} is out of range: expected ${describeType(t)}` };
    }
    case 'boolean': {
      const s = v.raw.toLowerCase().replace(/"/g, '');
      const guess = ['yes', 'on', '1', 'true'].includes(s) ? 'true' : ['no', 'off', '0', 'false'].includes(s) ? 'false' : undefined;
      return { message: `expected true or false, got ${describeValue(v)}`, fix: guess };
    }
    case 'enum': {
      const word = v.kind === 'string' ? v.value : v.raw;
      if (v.kind === 'string' && t.values.includes(word)) return { message: `write ${word} without quotes`, fix: word };
      const guess = didYouMean(word, t.values);
      return { message: `${describeValue(v)} is not ${describeType(t)}${guess ? `; did you mean ${guess}?` : ''}`, fix: guess };
    }
    case 'size': {
      if (v.kind === 'number' && Number.isInteger(v.value)) return { message: `a size is WIDTHxHEIGHT, e.g. ${v.raw}x${v.raw}`, fix: `${v.raw}x${v.raw}` };
      if (v.kind !== 'size') return { message: `expected ${describeType(t)}, got ${describeValue(v)}` };
      return { message: `${v.raw} is out of range: expected ${describeType(t)}` };
    }
  }
}

function checkProperties(scope: Scope, props: Property[], emit: Emit): Map<string, Property> {
  const seen = new Map<string, Property>();
  const valid = keyNames(scope);
  for (const p of props) {
    const spec = keySpec(scope, p.key);
    if (!spec) {
      const guess = didYouMean(p.key, valid);
      const others = (['file', 'concept', 'train', 'generate'] as Scope[]).filter((s) => s !== scope);
      const otherGuess = guess ? undefined : didYouMean(p.key, others.flatMap((s) => keyNames(s)));
      const elsewhere = otherGuess ? others.filter((s) => keySpec(s, otherGuess)) : [];
      const place = (s: Scope) => (s === 'file' ? 'at the top level' : `in a ${s} block`);
      let msg = `unknown key "${p.key}" ${place(scope)}`;
      if (guess) msg += `; did you mean ${guess}?`;
      else if (otherGuess) msg += `; ${otherGuess === p.key ? `"${p.key}" belongs` : `did you mean ${otherGuess}, which belongs`} ${elsewhere.map(place).join(' or ')}`;
      else msg += `; valid keys: ${valid.join(', ')}`;
      emit(p.keyRange, 'error', 'unknown-key', msg, guess ? replaceFix(p.keyRange, guess) : undefined);
      continue;
    }
    const first = seen.get(p.key);
    if (first) emit(p.keyRange, 'error', 'duplicate-key', `"${p.key}" is already set on line ${first.keyRange.start.line + 1}`);
    else seen.set(p.key, p);
    if (!p.value) continue; // the parser reported the missing value
    if (p.value.kind === 'string' && !p.value.terminated) continue; // reported as a syntax error
    const problem = typeProblem(p.value, spec.type);
    if (problem) {
      emit(p.value.range, 'error', 'type', `${p.key}: ${problem.message}`, problem.fix !== undefined ? replaceFix(p.value.range, problem.fix) : undefined);
    }
  }
  return seen;
}

function checkRequired(scope: Scope, b: Block, seen: Map<string, Property>, emit: Emit): void {
  const missing = keyNames(scope).filter((n) => keySpec(scope, n)?.required && !seen.has(n));
  if (missing.length) {
    const at = b.nameRange ? { start: b.keywordRange.start, end: b.nameRange.end } : b.keywordRange;
    // Quick fix: insert the keys with example values above a `}` that stands on its own line.
    const lastLine = Math.max(b.openRange?.end.line ?? b.keywordRange.end.line, ...b.properties.map((p) => p.range.end.line));
    const close = b.closeRange && b.closeRange.start.line > lastLine ? b.closeRange.start : undefined;
    const lines = missing.map((m) => `  ${m} ${m === 'instance_prompt' && b.name ? `"photo of ${b.name} person"` : keySpec(scope, m)!.example}\n`).join('');
    const fix = close ? replaceFix({ start: { line: close.line, character: 0 }, end: { line: close.line, character: 0 } }, lines, `Add ${missing.join(', ')}`) : undefined;
    emit(at, 'error', 'missing-key', `${b.kind}${b.name ? ` ${b.name}` : ''} is missing ${missing.map((m) => `"${m}"`).join(' and ')}`, fix);
  }
}

const str = (p: Property | undefined): string | undefined => (p?.value?.kind === 'string' && p.value.terminated ? p.value.value : undefined);

function checkIdentifier(doc: ConceptDoc, b: Block, emit: Emit): void {
  if (!b.name || !b.nameRange) return;
  let info;
  try {
    info = identifierInfo(b.name);
  } catch {
    return; // no bundled vocabulary: skip the advice rather than fail the whole check
  }
  const rare = rareIdentifiers();
  const suggestions = rare.slice(0, 3).map((r) => r.word).join(', ');
  // The quick fix renames the identifier everywhere to the first rare token no other concept uses.
  const taken = new Set(doc.blocks.map((x) => x.name));
  const to = rare.find((r) => !taken.has(r.word))?.word;
  const fix = to ? { title: `Rename ${b.name} to ${to} (block name and prompts)`, edits: renameIdentifier(doc, b.name, to) } : undefined;
  if (info.common) {
    emit(b.nameRange, 'warning', 'common-identifier', `"${b.name}" is a common word to CLIP (token #${info.id}): the model already knows a meaning that training must overwrite. Use a rare single token such as ${suggestions}.`, fix);
  } else if (info.tokens.length >= 3) {
    emit(b.nameRange, 'warning', 'identifier-tokens', `"${b.name}" splits into ${info.tokens.length} CLIP tokens (${showTokens(info.tokens)}); a rare single token such as ${suggestions} binds to your subject more reliably.`, fix);
  } else if (info.tokens.length === 2) {
    emit(b.nameRange, 'info', 'identifier-tokens', `"${b.name}" is 2 CLIP tokens (${showTokens(info.tokens)}); a rare single token such as ${suggestions} binds a little more reliably.`, fix);
  }
}

function checkConceptFolder(b: Block, seen: Map<string, Property>, fileDir: string, scanFolder: (dir: string) => FolderScan, emit: Emit): number {
  const p = seen.get('instance_images');
  const dir = str(p);
  if (!p?.value || dir === undefined) return 0;
  const scan = scanFolder(absolutePath(dir, fileDir));
  const r = p.value.range;
  if (scan.problem) {
    emit(r, 'error', 'instance-images', `instance_images: the folder "${dir}" ${scan.problem}`);
    return 0;
  }
  const list = (names: string[]) => (names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', '));
  if (scan.unreadable.length) {
    emit(r, 'warning', 'instance-images', `instance_images: ${scan.unreadable.length} file(s) will be skipped: ${list(scan.unreadable.map((u) => `${u.name} ${u.why}`))}`);
  }
  if (scan.nonImages.length) emit(r, 'warning', 'instance-images', `instance_images: ${scan.nonImages.length} file(s) are not images and will be ignored: ${list(scan.nonImages)}`);
  const n = scan.images.length;
  if (n === 0) emit(r, 'error', 'instance-images', `instance_images: the folder "${dir}" has no images (JPEG, PNG, WebP, …) of ${b.name ?? 'the subject'}`);
  else if (n < MIN_INSTANCE_IMAGES) emit(r, 'warning', 'instance-images', `instance_images: only ${n} image(s); use at least ${MIN_INSTANCE_IMAGES} (10–20 varied photos work best)`);
  return n;
}

function checkPrompts(b: Block, seen: Map<string, Property>, emit: Emit): void {
  const ip = seen.get('instance_prompt');
  const instance = str(ip);
  const klass = str(seen.get('class_prompt'));
  if (instance === undefined || !ip?.value) return;
  if (b.name && !mentions(instance, b.name)) {
    emit(ip.value.range, 'warning', 'prompt-identifier', `instance_prompt does not contain the identifier "${b.name}", so training cannot tie your subject to it`);
  }
  const noun = klass !== undefined ? classNoun(klass) : undefined;
  if (noun && !mentions(instance, noun)) {
    // Quick fix: put the noun right after the identifier ("photo of ohwx" -> "photo of ohwx person").
    const v = ip.value;
    const m = b.name ? wordPattern(b.name, 'iu').exec(v.raw) : null;
    const after = m && v.range.start.line === v.range.end.line ? v.range.start.character + m.index + m[0].length : undefined;
    const fix = after !== undefined ? replaceFix({ start: { line: v.range.start.line, character: after }, end: { line: v.range.start.line, character: after } }, ` ${noun}`, `Add "${noun}" after ${b.name}`) : undefined;
    emit(v.range, 'warning', 'prompt-class', `instance_prompt lacks the class noun "${noun}" of class_prompt; e.g. "photo of ${b.name ?? 'ohwx'} ${noun}"`, fix);
  }
}

export function validateConcept(doc: ConceptDoc, opts: ValidateOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  const emit: Emit = (range, severity, code, message, fix) => out.push({ range, severity, code, message, ...(fix ? { fix } : {}) });

  if (doc.properties.length === 0 && doc.blocks.length === 0 && !doc.hasSyntaxErrors) {
    emit({ start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, 'info', 'empty', 'empty concept file: add a model, a concept block to train and a generate block (see examples/zwx/zwx.dreambooth)');
  }
  checkTopLevel(doc, opts.fileDir, emit);

  const names = new Map<string, Block>();
  let trainBlock: Block | undefined;
  let instanceImages = 0;
  let concepts = 0;
  const conceptNames: string[] = [];
  for (const b of doc.blocks) {
    const spec = BLOCKS[b.kind];
    if (spec.name === 'none' && b.nameRange) emit(b.nameRange, 'error', 'block-name', `a ${b.kind} block takes no name: write "${b.kind} {"`);
    if (spec.name === 'required' && !b.name) emit(b.keywordRange, 'error', 'block-name', `a ${b.kind} block needs a name, its identifier: e.g. "${b.kind} ${rareIdentifiers()[0]?.word ?? 'sks'} {"`);
    if (b.kind === 'train') {
      if (trainBlock) emit(b.keywordRange, 'error', 'duplicate-block', `there is already a train block on line ${trainBlock.keywordRange.start.line + 1}`);
      else trainBlock = b;
    } else {
      const name = b.name ?? DEFAULT_GENERATE_NAME;
      const key = `${b.kind} ${name}`;
      const first = names.get(key);
      if (first && (b.name || b.kind === 'generate')) emit(b.nameRange ?? b.keywordRange, 'error', 'duplicate-block', `${b.kind} "${name}" is already defined on line ${first.keywordRange.start.line + 1}`);
      else names.set(key, b);
    }
    const seen = checkProperties(b.kind, b.properties, emit);
    checkRequired(b.kind, b, seen, emit);
    if (b.kind === 'concept') {
      concepts++;
      if (b.name) conceptNames.push(b.name);
      checkIdentifier(doc, b, emit);
      checkPrompts(b, seen, emit);
      if (seen.has('num_class_images') && !seen.has('class_prompt')) emit(seen.get('num_class_images')!.keyRange, 'info', 'unused-key', 'num_class_images has no effect without class_prompt (prior preservation is off)');
      if (opts.fileDir) {
        instanceImages += checkConceptFolder(b, seen, opts.fileDir, opts.scanFolder ?? scanImageFolder, emit);
        const ci = seen.get('class_images');
        const classDir = str(ci);
        if (classDir !== undefined && ci?.value && isFile(absolutePath(classDir, opts.fileDir))) emit(ci.value.range, 'error', 'class-images', `class_images: "${classDir}" is a file, not a folder`);
      }
    }
    if (b.kind === 'train') checkTrain(seen, emit);
  }
  if (opts.fileDir && concepts > 0 && instanceImages > 0) checkStepBudget(doc, trainBlock, instanceImages, emit);
  checkGeneratePrompts(doc, conceptNames, emit);
  return out;
}

function checkTopLevel(doc: ConceptDoc, fileDir: string | undefined, emit: Emit): void {
  const top = checkProperties('file', doc.properties, emit);
  const model = str(top.get('model'));
  if (model !== undefined && fileDir && modelLooksLikePath(model, fileDir) && !existsSync(absolutePath(model, fileDir))) {
    emit(top.get('model')!.value!.range, 'error', 'model', `model: "${model}" does not exist (a Hub repo id looks like "owner/name")`);
  }
  const output = str(top.get('output'));
  // A missing output folder is fine (training creates it); a file in its place is not.
  if (output !== undefined && fileDir && isFile(absolutePath(output, fileDir))) emit(top.get('output')!.value!.range, 'error', 'output', `output: "${output}" is a file, not a folder`);
}

/** Steps far from ~100 per instance image (more than STEPS_TOLERANCE times off) over- or under-train. */
function checkStepBudget(doc: ConceptDoc, trainBlock: Block | undefined, instanceImages: number, emit: Emit): void {
  const steps = trainBlock?.properties.find((p) => p.key === 'steps' && p.value?.kind === 'number');
  const n = steps?.value?.kind === 'number' ? steps.value.value : (keySpec('train', 'steps')!.default as number);
  const usual = STEPS_PER_IMAGE * instanceImages;
  if (n <= usual * STEPS_TOLERANCE && n >= usual / STEPS_TOLERANCE) return;
  const where = steps?.value?.range ?? trainBlock?.keywordRange ?? doc.blocks.find((b) => b.kind === 'concept')!.keywordRange;
  const say = n > usual ? 'likely to overfit (every output looks like the training photos)' : 'likely too few to learn the subject';
  emit(where, 'warning', 'steps', `${steps ? '' : 'the default '}${n} steps for ${instanceImages} instance image(s) is ${say}; about ${STEPS_PER_IMAGE} per image (${usual}) is the usual start`);
}

/** A generate prompt without any trained identifier does not show the subject (a hint, not an error). */
function checkGeneratePrompts(doc: ConceptDoc, conceptNames: string[], emit: Emit): void {
  if (conceptNames.length === 0) return;
  for (const b of doc.blocks) {
    if (b.kind !== 'generate') continue;
    const p = b.properties.find((q) => q.key === 'prompt');
    const prompt = str(p);
    if (prompt !== undefined && p?.value && !conceptNames.some((c) => mentions(prompt, c))) {
      emit(p.value.range, 'info', 'prompt-identifier', `this prompt mentions none of the trained identifiers (${conceptNames.join(', ')})`);
    }
  }
}

function checkTrain(seen: Map<string, Property>, emit: Emit): void {
  const method = seen.get('method')?.value;
  if (method?.kind === 'ident' && method.value === 'full') {
    for (const k of ['lora_rank', 'lora_alpha']) {
      const p = seen.get(k);
      if (p) emit(p.keyRange, 'info', 'unused-key', `${k} has no effect with method full`);
    }
  }
  const teSteps = seen.get('train_text_encoder_steps');
  const te = seen.get('train_text_encoder')?.value;
  if (teSteps?.value?.kind === 'number' && teSteps.value.value > 0 && !(te?.kind === 'boolean' && te.value)) emit(teSteps.keyRange, 'info', 'unused-key', 'train_text_encoder_steps has no effect without train_text_encoder true');
  const warmup = seen.get('lr_warmup_steps')?.value;
  if (warmup?.kind === 'number' && warmup.value > 0) {
    const steps = seen.get('steps')?.value;
    const n = steps?.kind === 'number' ? steps.value : (keySpec('train', 'steps')!.default as number);
    const scheduler = seen.get('lr_scheduler')?.value;
    const name = scheduler?.kind === 'ident' ? scheduler.value : (keySpec('train', 'lr_scheduler')!.default as string);
    if (name === 'constant') emit(warmup.range, 'info', 'unused-key', 'lr_warmup_steps has no effect with lr_scheduler constant (use constant_with_warmup)');
    else if (warmup.value >= n) emit(warmup.range, 'error', 'lr-warmup', `lr_warmup_steps ${warmup.value} is not fewer than the run's ${n} steps: the learning rate would never reach learning_rate; use fewer warm-up steps (about 5–10% of steps)`);
  }
}

/** Parse + validate: every diagnostic of a concept file's text, in document order. */
export function checkConceptText(text: string, opts: ValidateOptions = {}): { doc: ConceptDoc; diagnostics: Diagnostic[] } {
  const { doc, diagnostics } = parseConcept(text);
  const all = [...diagnostics, ...validateConcept(doc, opts)].sort(byPosition);
  return { doc, diagnostics: all };
}
