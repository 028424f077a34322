// The formatter: the layout rules, comments kept, idempotence, and files with errors left alone.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { formatConcept } from '../../language/format';
import { parseConcept } from '../../language/parse';

const root = resolve(__dirname, '..', '..');

test('indents blocks, aligns values and trailing comments per run, one blank line between groups', () => {
  const src = [
    '# top comment',
    'model "x/y"   # the model',
    'output    "./o"',
    '',
    '',
    '',
    'concept   sks',
    '{',
    '    # inside',
    'instance_prompt "photo of sks dog"   # c1',
    '      class_prompt "photo of a dog" # c2',
    '',
    '  num_class_images 5',
    '} # after',
    'train { steps 5 }',
    'generate g { prompt "p" }',
  ].join('\n');
  const want = [
    '# top comment',
    'model  "x/y"  # the model',
    'output "./o"',
    '',
    'concept sks {',
    '  # inside',
    '  instance_prompt "photo of sks dog"  # c1',
    '  class_prompt    "photo of a dog"    # c2',
    '',
    '  num_class_images 5',
    '}  # after',
    '',
    'train {',
    '  steps 5',
    '}',
    '',
    'generate g {',
    '  prompt "p"',
    '}',
    '',
  ].join('\n');
  assert.equal(formatConcept(src), want);
  assert.equal(formatConcept(want), want);
});

test('keeps CRLF line ends and honours the indent option', () => {
  assert.equal(formatConcept('train {\r\nsteps 5\r\n}\r\n', { indent: '\t' }), 'train {\r\n\tsteps 5\r\n}\r\n');
});

test('values keep their source text (escapes, exponents, sizes)', () => {
  const src = 'generate g {\n  prompt   "a \\"b\\" \\\\ c"\n  guidance 7.50\n  size     512X768\n}\n';
  assert.equal(formatConcept(src), src);
});

test('files with syntax errors are returned unchanged', () => {
  for (const bad of ['train {\n steps 5\n', 'model "abc\n', 'x 1 2\n', '}\n']) assert.equal(formatConcept(bad), bad);
});

test('the example is already formatted, and formatting keeps every comment and value', () => {
  const example = readFileSync(join(root, 'examples', 'zwx', 'zwx.dreambooth'), 'utf8');
  assert.equal(formatConcept(example), example);
  const messy = example.replace(/^ +/gm, '').replace(/ +/g, ' ');
  const formatted = formatConcept(messy);
  assert.equal(formatConcept(formatted), formatted);
  const { doc: a } = parseConcept(messy);
  const { doc: b } = parseConcept(formatted);
  assert.deepEqual(b.comments.map((c) => c.text), a.comments.map((c) => c.text));
  const values = (d: typeof a) => [...d.properties, ...d.blocks.flatMap((x) => x.properties)].map((p) => `${p.key}=${p.value?.raw}`);
  assert.deepEqual(values(b), values(a));
});

test('empty and comment-only files', () => {
  assert.equal(formatConcept(''), '');
  assert.equal(formatConcept('\n\n\n'), '');
  assert.equal(formatConcept('# only\n\n\n# comments   \n'), '# only\n\n# comments\n');
});
