// Completions: keys valid in the current block (and block snippets at the top level), enum values,
// booleans, class prompts, instance prompts built from the concept's identifier, rare-token
// identifiers, folders for path keys, Hub ids and local checkpoints for `model`.
import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type TextEdit } from 'vscode-languageserver';
import type { Block, ConceptDoc, Position, Range } from './ast';
import { CLASS_PROMPTS, HUB_MODELS } from './classes';
import { rareIdentifiers } from './identifiers';
import { IMAGE_EXTENSIONS } from './images';
import { placeAt } from './locate';
import { parseConcept } from './parse';
import { BLOCKS, KEYS, keyMarkdown, keySpec, type KeySpec, type Scope } from './schema';
import { classNoun } from './text';

export interface CompleteOptions {
  /** Folder of the file, for path completions; absent for unsaved files. */
  fileDir?: string;
  /** Whether the client understands snippet syntax. */
  snippets: boolean;
}

const MAX_DIR_ENTRIES = 200;

function edit(range: Range, newText: string): TextEdit {
  return { range, newText };
}

function keyItems(scope: Scope, block: Block | undefined, doc: ConceptDoc, range: Range, opts: CompleteOptions): CompletionItem[] {
  const present = new Set((block ? block.properties : doc.properties).map((p) => p.key));
  const items: CompletionItem[] = KEYS[scope]
    .filter((k) => !present.has(k.name))
    .map((k, i): CompletionItem => {
      const snippet = k.type.kind === 'enum' ? `${k.name} \${1|${k.type.values.join(',')}|}` : `${k.name} \${1:${k.example.replace(/[$}\\]/g, '\\$&')}}`;
      return {
        label: k.name,
        kind: CompletionItemKind.Property,
        detail: k.required ? 'required' : `default ${k.defaultText}`,
        documentation: { kind: MarkupKind.Markdown, value: keyMarkdown(scope, k) },
        sortText: `${k.required ? '0' : '1'}${String(i).padStart(2, '0')}`,
        textEdit: edit(range, opts.snippets ? snippet : `${k.name} `),
        insertTextFormat: opts.snippets ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
      };
    });
  if (scope === 'file') {
    const hasTrain = doc.blocks.some((b) => b.kind === 'train');
    for (const spec of Object.values(BLOCKS)) {
      if (!spec.multiple && hasTrain) continue;
      items.push({
        label: spec.kind,
        kind: CompletionItemKind.Module,
        detail: `${spec.kind} block`,
        documentation: { kind: MarkupKind.Markdown, value: spec.doc },
        sortText: `2${spec.kind}`,
        textEdit: edit(range, opts.snippets ? spec.snippet : `${spec.kind} `),
        insertTextFormat: opts.snippets ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
      });
    }
  }
  return items;
}

function quoted(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function promptItems(values: { text: string; detail: string }[], range: Range, closeQuote: boolean): CompletionItem[] {
  return values.map((v, i) => {
    const text = quoted(v.text);
    return {
      label: v.text,
      kind: CompletionItemKind.Text,
      detail: v.detail,
      sortText: String(i).padStart(3, '0'),
      filterText: text,
      textEdit: edit(range, closeQuote ? text : text.slice(0, -1)),
    };
  });
}

function conceptNoun(block: Block | undefined): string | undefined {
  const cp = block?.properties.find((p) => p.key === 'class_prompt')?.value;
  return cp?.kind === 'string' ? classNoun(cp.value) : undefined;
}

/** Entries of the folder named by a half-typed path string, as items that replace the whole string so far. */
function pathItems(prefix: string, range: Range, fileDir: string, closeQuote: boolean, countImages: boolean): CompletionItem[] {
  const inner = prefix.startsWith('"') ? prefix.slice(1) : prefix;
  const slash = inner.lastIndexOf('/');
  const dirPart = slash >= 0 ? inner.slice(0, slash + 1) : './';
  const base = dirPart.startsWith('~/') ? join(homedir(), dirPart.slice(2)) : resolve(fileDir, dirPart);
  let names: string[];
  try {
    names = readdirSync(base).filter((n) => !n.startsWith('.')).slice(0, MAX_DIR_ENTRIES);
  } catch {
    return [];
  }
  const items: CompletionItem[] = [];
  for (const name of names.sort()) {
    let isDir = false;
    try {
      isDir = statSync(join(base, name)).isDirectory();
    } catch {
      continue;
    }
    if (!isDir) continue;
    let detail = 'folder';
    if (countImages) {
      try {
        const n = readdirSync(join(base, name)).filter((f) => IMAGE_EXTENSIONS.some((e) => f.toLowerCase().endsWith(e))).length;
        detail = `folder, ${n} image${n === 1 ? '' : 's'}`;
      } catch {
        // unreadable: plain folder
      }
    }
    const text = `"${dirPart}${name}`;
    items.push({ label: `${name}/`, kind: CompletionItemKind.Folder, detail, filterText: text, textEdit: edit(range, closeQuote ? `${text}"` : text) });
  }
  return items;
}

/** Local checkpoints near the file and models already in the Hugging Face cache. */
function modelItems(range: Range, fileDir: string | undefined, closeQuote: boolean): CompletionItem[] {
  const found: { text: string; detail: string }[] = HUB_MODELS.map((m) => ({ text: m.id, detail: `Hub: ${m.note}` }));
  if (fileDir) {
    const walk = (dir: string, rel: string, depth: number) => {
      let names: string[];
      try {
        names = readdirSync(dir).filter((n) => !n.startsWith('.') && n !== 'node_modules').slice(0, MAX_DIR_ENTRIES);
      } catch {
        return;
      }
      for (const n of names) {
        const p = join(dir, n);
        const r = `${rel}${n}`;
        if (/\.(safetensors|ckpt)$/i.test(n)) found.push({ text: r, detail: 'local single-file checkpoint' });
        else if (depth > 0) {
          try {
            if (!statSync(p).isDirectory()) continue;
            if (readdirSync(p).includes('model_index.json')) found.push({ text: r, detail: 'local diffusers folder' });
            else walk(p, `${r}/`, depth - 1);
          } catch {
            // unreadable: skip
          }
        }
      }
    };
    walk(fileDir, './', 2);
  }
  const hub = join(process.env.HF_HOME ?? join(homedir(), '.cache', 'huggingface'), 'hub');
  try {
    for (const n of readdirSync(hub)) {
      const m = /^models--([^-].*?)--(.+)$/.exec(n);
      if (m && !found.some((f) => f.text === `${m[1]}/${m[2]}`)) found.push({ text: `${m[1]}/${m[2]}`, detail: 'Hub, already downloaded' });
    }
  } catch {
    // no cache yet
  }
  return promptItems(found, range, closeQuote).map((i) => ({ ...i, kind: CompletionItemKind.Reference }));
}

function valueItems(spec: KeySpec, block: Block | undefined, doc: ConceptDoc, prefix: string, range: Range, nextChar: string, opts: CompleteOptions): CompletionItem[] {
  const closeQuote = nextChar !== '"';
  const t = spec.type;
  switch (t.kind) {
    case 'enum':
      return t.values.map((v, i) => ({
        label: v,
        kind: CompletionItemKind.EnumMember,
        detail: v === spec.default ? 'default' : undefined,
        documentation: t.docs[v],
        sortText: String(i).padStart(2, '0'),
        textEdit: edit(range, v),
      }));
    case 'boolean':
      return ['true', 'false'].map((v) => ({ label: v, kind: CompletionItemKind.Keyword, detail: String(spec.default) === v ? 'default' : undefined, textEdit: edit(range, v) }));
    case 'size':
      return ['512x512', '512x768', '768x512', '640x640', '64x64'].map((v, i) => ({ label: v, kind: CompletionItemKind.Value, sortText: String(i), textEdit: edit(range, v) }));
    case 'integer':
    case 'number':
      return [{ label: spec.example, kind: CompletionItemKind.Value, detail: `default ${spec.defaultText}`, textEdit: edit(range, spec.example) }];
    case 'model':
      return modelItems(range, opts.fileDir, closeQuote);
    case 'path':
      return opts.fileDir ? pathItems(prefix, range, opts.fileDir, closeQuote, spec.name === 'instance_images') : [];
    case 'string':
      return [];
    case 'prompt':
      return promptItems(promptSuggestions(spec.name, block, doc), range, closeQuote);
  }
}

function promptSuggestions(key: string, block: Block | undefined, doc: ConceptDoc): { text: string; detail: string }[] {
  const concepts = doc.blocks.filter((b) => b.kind === 'concept' && b.name);
  switch (key) {
    case 'class_prompt':
      return CLASS_PROMPTS.map((c) => ({ text: c.prompt, detail: `class: ${c.group}` }));
    case 'instance_prompt': {
      const name = block?.name ?? rareIdentifiers()[0]?.word ?? 'sks';
      const noun = conceptNoun(block);
      const nouns = noun ? [noun] : CLASS_PROMPTS.filter((c) => c.group !== 'styles').map((c) => c.noun);
      return nouns.map((n) => ({ text: `photo of ${name} ${n}`, detail: noun ? 'identifier + class noun' : 'identifier + a class noun' }));
    }
    case 'negative_prompt':
      return [{ text: 'blurry, lowres, deformed, bad anatomy, watermark, text', detail: 'common negative prompt' }];
    default: {
      // prompt / sample_prompt: build on the concepts' own prompts.
      const out: { text: string; detail: string }[] = [];
      for (const c of concepts) {
        const noun = conceptNoun(c) ?? 'person';
        const ip = c.properties.find((p) => p.key === 'instance_prompt')?.value;
        if (ip?.kind === 'string') out.push({ text: ip.value, detail: `instance prompt of ${c.name}` });
        out.push({ text: `portrait of ${c.name} ${noun}, oil painting`, detail: `uses ${c.name}` });
        out.push({ text: `${c.name} ${noun} in the style of a watercolor painting`, detail: `uses ${c.name}` });
      }
      return out;
    }
  }
}

/** Completion items at `pos` of `text`. */
export function complete(text: string, pos: Position, opts: CompleteOptions): CompletionItem[] {
  const { doc } = parseConcept(text);
  const lineText = text.split(/\r\n|\r|\n/)[pos.line] ?? '';
  const place = placeAt(doc, lineText, pos);
  switch (place.kind) {
    case 'key':
      return keyItems(place.scope, place.block, doc, place.range, opts);
    case 'blockName':
      if (place.blockKind !== 'concept') return [];
      return rareIdentifiers().map((r, i) => ({
        label: r.word,
        kind: CompletionItemKind.Constant,
        detail: `rare CLIP token #${r.id}, one token`,
        documentation: 'A rare single CLIP token: the model has almost no prior meaning for it, so it can learn your subject.',
        sortText: String(i).padStart(2, '0'),
        textEdit: edit(place.range, r.word),
      }));
    case 'value': {
      const spec = keySpec(place.scope, place.key);
      return spec ? valueItems(spec, place.block, doc, place.prefix, place.range, lineText[pos.character] ?? '', opts) : [];
    }
    case 'none':
      return [];
  }
}
