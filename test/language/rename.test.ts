// Renaming an identifier: block name plus whole-word uses in prompts (words as CLIP splits them), nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatConcept } from '../../language/format';
import { parseConcept } from '../../language/parse';
import { identifierAt, renameIdentifier } from '../../language/rename';
import type { TextEdit } from '../../language/ast';
import { checkConceptText } from '../../language/validate';

const TEXT = [
  'concept zwx {',
  '  instance_prompt "photo of zwx person"',
  '  class_prompt    "photo of a person"',
  '}',
  'train {',
  '  sample_prompt "Zwx person, zwxy, my-zwx, zwx_2, zwx"',
  '}',
  'generate g {',
  '  prompt "portrait of zwx person" # zwx in a comment',
  '}',
  '',
].join('\n');

function apply(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  // Edits are single-line; apply right to left so earlier columns stay valid.
  for (const e of [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character)) {
    const l = lines[e.range.start.line]!;
    lines[e.range.start.line] = l.slice(0, e.range.start.character) + e.newText + l.slice(e.range.end.character);
  }
  return lines.join('\n');
}

test('renames the block name and whole-word uses in prompts only', () => {
  const doc = parseConcept(TEXT).doc;
  const out = apply(TEXT, renameIdentifier(doc, 'zwx', 'ohwx'));
  assert.equal(
    out,
    TEXT.replace('concept zwx', 'concept ohwx')
      .replace('photo of zwx person', 'photo of ohwx person')
      .replace('"Zwx person, zwxy, my-zwx, zwx_2, zwx"', '"ohwx person, zwxy, my-ohwx, ohwx_2, ohwx"')
      .replace('portrait of zwx person', 'portrait of ohwx person'),
  );
});

test('the identifier is found on the block name and on its uses in prompts', () => {
  const doc = parseConcept(TEXT).doc;
  assert.deepEqual(identifierAt(doc, { line: 0, character: 9 })?.range, { start: { line: 0, character: 8 }, end: { line: 0, character: 11 } });
  assert.deepEqual(identifierAt(doc, { line: 8, character: 23 })?.range, { start: { line: 8, character: 22 }, end: { line: 8, character: 25 } });
  assert.equal(identifierAt(doc, { line: 8, character: 40 }), undefined, 'not in a comment');
  assert.equal(identifierAt(doc, { line: 2, character: 30 }), undefined, 'not on other words');
});

test('the identifier diagnostics offer the rename as a quick fix, and the result is clean', () => {
  const { diagnostics } = checkConceptText(TEXT);
  const d = diagnostics.find((x) => x.code === 'identifier-tokens')!;
  assert.equal(d.fix?.title, 'Rename zwx to ohwx (block name and prompts)');
  const fixed = apply(TEXT, d.fix.edits);
  assert.deepEqual(checkConceptText(fixed).diagnostics.filter((x) => x.code.includes('identifier')), []);
  assert.equal(formatConcept(fixed).includes('concept ohwx {'), true);
});
