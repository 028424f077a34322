// Completions as pure functions: what is offered where, and what it inserts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { CompletionItem } from 'vscode-languageserver';
import { complete } from '../../language/complete';

const root = resolve(__dirname, '..', '..');
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dreambooth-complete-'));
  mkdirSync(join(dir, 'photos', 'me'), { recursive: true });
  mkdirSync(join(dir, 'photos', 'dog'));
  copyFileSync(join(root, 'examples', 'zwx', 'photos', '01.jpg'), join(dir, 'photos', 'me', 'a.jpg'));
  copyFileSync(join(root, 'examples', 'zwx', 'photos', '03.png'), join(dir, 'photos', 'me', 'b.png'));
  mkdirSync(join(dir, 'models', 'my-sd'), { recursive: true });
  writeFileSync(join(dir, 'models', 'my-sd', 'model_index.json'), '{}');
  writeFileSync(join(dir, 'models', 'v1-5.safetensors'), '');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Completions where `|` is in the text. */
function at(textWithCursor: string, snippets = false): CompletionItem[] {
  const offset = textWithCursor.indexOf('|');
  const text = textWithCursor.replace('|', '');
  const before = text.slice(0, offset).split('\n');
  return complete(text, { line: before.length - 1, character: before[before.length - 1]!.length }, { fileDir: dir, snippets });
}
const labels = (items: CompletionItem[]) => items.map((i) => i.label);
const inserted = (i: CompletionItem) => (i.textEdit && 'newText' in i.textEdit ? i.textEdit.newText : i.insertText);

test('top level: model, output and the three block kinds; train only once', () => {
  assert.deepEqual(labels(at('|')), ['model', 'output', 'concept', 'train', 'generate']);
  assert.deepEqual(labels(at('train {\n}\nmodel "x"\n|')), ['output', 'concept', 'generate']);
  const concept = at('con|', true).find((i) => i.label === 'concept')!;
  assert.match(inserted(concept)!, /^concept \$\{1:ohwx\} \{\n\tinstance_prompt/);
  assert.equal(inserted(at('con|', false).find((i) => i.label === 'concept')!), 'concept ');
});

test('keys inside blocks, required first; a one-line block counts', () => {
  const items = at('concept sks {\n  |\n}\n');
  assert.deepEqual(labels(items), ['instance_prompt', 'class_prompt', 'instance_images', 'class_images', 'num_class_images']);
  assert.deepEqual(items.filter((i) => i.detail === 'required').map((i) => i.label), ['instance_prompt', 'instance_images']);
  assert.ok(labels(at('train { st|')).includes('steps'));
  assert.equal(inserted(at('train {\n  |\n}', true).find((i) => i.label === 'method')!), 'method ${1|lora,full|}');
});

test('instance prompts use the identifier and the class noun', () => {
  const items = at('concept ohwx {\n  class_prompt "photo of a dog"\n  instance_prompt |\n}\n');
  assert.deepEqual(items.map(inserted), ['"photo of ohwx dog"']);
  assert.deepEqual(at('concept ohwx {\n  class_prompt "photo of a dog"\n  instance_prompt |"\n}\n').map(inserted), ['"photo of ohwx dog'], 'no second closing quote');
});

test('folders for path keys, relative to the file, with image counts', () => {
  const top = at('concept a {\n  instance_images "./|"\n}');
  assert.deepEqual(labels(top), ['models/', 'photos/']);
  const nested = at('concept a {\n  instance_images "./photos/|"\n}');
  assert.deepEqual(nested.map((i) => [i.label, i.detail, inserted(i)]), [
    ['dog/', 'folder, 0 images', '"./photos/dog'],
    ['me/', 'folder, 2 images', '"./photos/me'],
  ]);
});

test('model: Hub ids, local diffusers folders and single-file checkpoints', () => {
  const items = at('model |');
  const l = labels(items);
  assert.ok(l.includes('runwayml/stable-diffusion-v1-5'));
  assert.ok(l.includes('./models/my-sd'));
  assert.ok(l.includes('./models/v1-5.safetensors'));
});

test('nothing inside comments; generate names get no suggestions; sizes and booleans', () => {
  assert.deepEqual(at('# mod|'), []);
  assert.deepEqual(at('model "x" # a|'), []);
  assert.deepEqual(at('generate |'), []);
  assert.deepEqual(labels(at('generate g {\n  size |\n}')).slice(0, 1), ['512x512']);
  assert.deepEqual(labels(at('train {\n  train_text_encoder |\n}')), ['true', 'false']);
});
