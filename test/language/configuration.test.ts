// The editor-side files: the manifest points at them, they parse, and their patterns do what they say.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(__dirname, '..', '..');
const json = (p: string) => JSON.parse(readFileSync(join(root, p), 'utf8'));

test('package.json contributes the language and grammar files that exist', () => {
  const pkg = json('package.json');
  const lang = pkg.contributes.languages.find((l: { id: string }) => l.id === 'dreambooth');
  const grammar = pkg.contributes.grammars.find((g: { language: string }) => g.language === 'dreambooth');
  assert.ok(existsSync(join(root, lang.configuration)));
  assert.ok(existsSync(join(root, grammar.path)));
  assert.equal(json(grammar.path).scopeName, grammar.scopeName);
  assert.equal(grammar.scopeName, 'source.dreambooth');
});

test('language configuration: comments, brackets, quotes, folding markers, indentation', () => {
  const c = json('syntaxes/language-configuration.json');
  assert.equal(c.comments.lineComment, '#');
  assert.deepEqual(c.brackets, [['{', '}']]);
  assert.ok(c.autoClosingPairs.some((p: { open: string; notIn?: string[] }) => p.open === '"' && p.notIn?.includes('string') && p.notIn.includes('comment')));
  const start = new RegExp(c.folding.markers.start);
  const end = new RegExp(c.folding.markers.end);
  assert.ok(start.test('  # region photos') && !start.test('# regional'));
  assert.ok(end.test('# endregion') && !end.test('model "x" # endregion'));
  const inc = new RegExp(c.indentationRules.increaseIndentPattern);
  const dec = new RegExp(c.indentationRules.decreaseIndentPattern);
  assert.ok(inc.test('concept sks {') && inc.test('train {  # comment') && !inc.test('prompt "a {"') && !inc.test('train { steps 5 }'));
  assert.ok(dec.test('  }') && !dec.test('steps 5'));
  const word = new RegExp(`^(?:${c.wordPattern})$`);
  for (const w of ['instance_prompt', 'dpmpp_2m_karras', 'my-dog', '1e-4', '512']) assert.ok(word.test(w), w);
});
