// The parser: values of every kind, exact ranges, recovery after errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConcept } from '../../language/parse';

const r = (sl: number, sc: number, el: number, ec: number) => ({ start: { line: sl, character: sc }, end: { line: el, character: ec } });
const messages = (text: string) => parseConcept(text).diagnostics.map((d) => `${d.range.start.line}:${d.range.start.character} ${d.message}`);

test('values: strings with escapes, numbers incl. exponents, booleans, identifiers, sizes', () => {
  const { doc, diagnostics } = parseConcept(
    ['a "say \\"hi\\" \\\\ \\n\\t"', 'b 1e-4', 'c -2.5', 'd .5', 'e true', 'f false', 'g dpmpp_2m', 'h 512x768', 'i 12', 'j "é 東京 🐶"'].join('\n'),
  );
  assert.deepEqual(diagnostics, []);
  const v = Object.fromEntries(doc.properties.map((p) => [p.key, p.value]));
  assert.deepEqual(v.a, { kind: 'string', value: 'say "hi" \\ \n\t', raw: '"say \\"hi\\" \\\\ \\n\\t"', range: r(0, 2, 0, 22), terminated: true });
  assert.equal(v.b?.kind === 'number' && v.b.value, 1e-4);
  assert.equal(v.c?.kind === 'number' && v.c.value, -2.5);
  assert.equal(v.d?.kind === 'number' && v.d.value, 0.5);
  assert.equal(v.e?.kind === 'boolean' && v.e.value, true);
  assert.equal(v.f?.kind === 'boolean' && v.f.value, false);
  assert.deepEqual(v.g && { kind: v.g.kind, raw: v.g.raw }, { kind: 'ident', raw: 'dpmpp_2m' });
  assert.deepEqual(v.h?.kind === 'size' && [v.h.width, v.h.height], [512, 768]);
  assert.equal(v.j?.kind === 'string' && v.j.value, 'é 東京 🐶');
  // UTF-16 columns: the emoji is two code units.
  assert.deepEqual(v.j?.range, r(9, 2, 9, 2 + '"é 東京 🐶"'.length));
});

test('blocks: concept NAME, train, generate NAME, several of each, single-line and Allman braces', () => {
  const text = 'concept a {\n  instance_prompt "x"\n}\nconcept b {\n}\ntrain { steps 5 }\ngenerate one {\n}\ngenerate two\n{\n  prompt "y"\n}\n';
  const { doc, diagnostics } = parseConcept(text);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(
    doc.blocks.map((b) => [b.kind, b.name, b.properties.map((p) => p.key)]),
    [['concept', 'a', ['instance_prompt']], ['concept', 'b', []], ['train', undefined, ['steps']], ['generate', 'one', []], ['generate', 'two', ['prompt']]],
  );
  const a = doc.blocks[0]!;
  assert.deepEqual(a.keywordRange, r(0, 0, 0, 7));
  assert.deepEqual(a.nameRange, r(0, 8, 0, 9));
  assert.deepEqual(a.openRange, r(0, 10, 0, 11));
  assert.deepEqual(a.closeRange, r(2, 0, 2, 1));
  assert.deepEqual(a.range, r(0, 0, 2, 1));
  assert.deepEqual(doc.blocks[4]!.openRange, r(9, 0, 9, 1));
});

test('comments are kept apart, also after values and braces; # inside strings is text', () => {
  const { doc, diagnostics } = parseConcept('# top\nmodel "a#b" # why\ntrain { # t\n}\n');
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(
    doc.comments.map((c) => [c.text, c.range.start.line, c.range.start.character]),
    [['# top', 0, 0], ['# why', 1, 12], ['# t', 2, 8]],
  );
  assert.equal(doc.properties[0]!.value?.kind === 'string' && doc.properties[0]!.value.value, 'a#b');
});

test('errors are reported where they are, and parsing goes on', () => {
  assert.deepEqual(messages('model "abc\nsteps 5'), ['0:6 unterminated string: add a closing "']);
  assert.deepEqual(messages('a "\\q"'), ['0:3 unknown escape \\q: use \\" \\\\ \\n or \\t']);
  assert.deepEqual(messages('count'), ['0:0 "count" needs a value on the same line']);
  assert.deepEqual(messages('prompt hello world'), ['0:13 one value per line: unexpected text after the value (strings need "quotes" around spaces)']);
  assert.deepEqual(messages('seed 12abc'), ['0:5 "12abc" is not a number']);
  assert.deepEqual(messages('size 512x512px'), ['0:5 "512x512px" is not a size: write WIDTHxHEIGHT, e.g. 512x512']);
  assert.deepEqual(messages('}'), ['0:0 unmatched "}"']);
  assert.deepEqual(messages('"x" 5'), ['0:0 expected a key at the start of the line, found a string']);
  assert.deepEqual(messages('concept a {\n  steps 5\n'), ['0:0 "concept" block is not closed: add "}" at the end']);
  assert.deepEqual(messages('train {\n  { steps 5 }\n}'), ['1:2 blocks cannot be nested: unexpected "{"', '2:0 unmatched "}"']);
  assert.deepEqual(messages('x @@@ 5'), ['0:2 unexpected "@@@": expected a key, a value, "{" or "}"']);
});

test('a forgotten } closes the block at the next block header', () => {
  const { doc, diagnostics } = parseConcept('concept a {\n  instance_prompt "x"\ntrain {\n  steps 5\n}\n');
  assert.deepEqual(
    diagnostics.map((d) => [d.range.start.line, d.message]),
    [[0, '"concept" block is not closed: add "}" before line 3']],
  );
  assert.deepEqual(
    doc.blocks.map((b) => [b.kind, b.properties.map((p) => p.key)]),
    [['concept', ['instance_prompt']], ['train', ['steps']]],
  );
});

test('misspelt block keywords: parsed as the nearest block, or skipped whole', () => {
  const { doc, diagnostics } = parseConcept('trian {\n  steps 5\n}\ngenerat x {\n  prompt "p"\n}\nfoo {\n  a {\n  }\n  b 1\n}\nmodel "m"\n');
  assert.deepEqual(
    diagnostics.map((d) => [d.range.start.line, d.message, d.fix?.edits[0]!.newText]),
    [
      [0, 'unknown block "trian"; did you mean train?', 'train'],
      [3, 'unknown block "generat"; did you mean generate?', 'generate'],
      [6, 'unknown block "foo": blocks are concept, train, generate', undefined],
    ],
  );
  assert.deepEqual(doc.blocks.map((b) => [b.kind, b.name, b.properties.map((p) => p.key)]), [['train', undefined, ['steps']], ['generate', 'x', ['prompt']]]);
  assert.deepEqual(doc.properties.map((p) => p.key), ['model']);
});

test('CRLF and lone CR line ends count as lines', () => {
  const { doc, diagnostics } = parseConcept('a 1\r\nb 2\rc 3');
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(
    doc.properties.map((p) => [p.key, p.keyRange.start.line]),
    [['a', 0], ['b', 1], ['c', 2]],
  );
});

test('deep nesting and floods of errors stay bounded', () => {
  const { diagnostics } = parseConcept('{'.repeat(100_000) + '}'.repeat(100_000));
  assert.ok(diagnostics.length <= 101, `${diagnostics.length} diagnostics`);
  assert.match(diagnostics[diagnostics.length - 1]!.message, /stopped reporting/);
});
