// Hostile input: random bytes, random token soup and random mutations of the example must never make
// the parser, validator, resolver, formatter, completions, hovers or outline throw; diagnostics stay
// inside the document; whatever parses cleanly formats idempotently. Seeded, so a failure reproduces.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import type { ConceptDoc, Diagnostic } from '../../language/ast';
import { complete } from '../../language/complete';
import { formatConcept } from '../../language/format';
import { hover } from '../../language/hover';
import { codeLenses, documentSymbols, foldingRanges } from '../../language/outline';
import { resolveConcept } from '../../language/resolve';
import { checkConceptText } from '../../language/validate';

const root = resolve(__dirname, '..', '..');
const exampleDir = join(root, 'examples', 'zwx');
const example = readFileSync(join(exampleDir, 'zwx.dreambooth'), 'utf8');

/** mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const SOUP = ['concept', 'train', 'generate', 'zwx', 'sks', '{', '}', '{', '}', '"', '"a b"', '"\\"', '\\', '#', '# c', '\n', '\n', '\r\n', '\r', ' ', '  ', '\t', 'steps', 'size', 'method', 'lora', 'prompt', 'model', '1e-4', '-1', '.5', '512x512', '99999999999999999999', 'true', 'false', 'x', '0x', '1.2.3', '\u0000', '\ufeff', '🐶', '東京', '\ud800', '=', ':', ';', ','];

function exercise(text: string, label: string): void {
  let result: { doc: ConceptDoc; diagnostics: Diagnostic[] };
  try {
    result = checkConceptText(text, { fileDir: exampleDir });
  } catch (e) {
    assert.fail(`${label}: checkConceptText threw ${(e as Error).stack}\n--- input ---\n${JSON.stringify(text.slice(0, 500))}`);
  }
  const lines = text.split(/\r\n|\r|\n/);
  for (const d of result.diagnostics) {
    const { start, end } = d.range;
    assert.ok(start.line >= 0 && start.line < lines.length && end.line < lines.length, `${label}: diagnostic outside the text: ${JSON.stringify(d)}`);
    assert.ok(start.character <= lines[start.line]!.length && end.character <= lines[end.line]!.length, `${label}: diagnostic past the line end: ${JSON.stringify(d)}`);
    assert.ok(d.message.length > 0);
  }
  resolveConcept(result.doc, exampleDir);
  documentSymbols(result.doc);
  foldingRanges(result.doc);
  codeLenses(result.doc, 'file:///f.dreambooth');
  const formatted = formatConcept(text);
  if (!result.doc.hasSyntaxErrors) {
    assert.equal(formatConcept(formatted), formatted, `${label}: formatting is not idempotent\n${JSON.stringify(text)}`);
    assert.equal(checkConceptText(formatted).doc.hasSyntaxErrors, false, `${label}: formatting broke the syntax`);
  } else assert.equal(formatted, text);
  // Completions and hovers at a few positions, including past the ends of lines.
  for (let k = 0; k < 4; k++) {
    const line = (k * 7919) % lines.length;
    const pos = { line, character: (k * 31) % (lines[line]!.length + 2) };
    complete(text, pos, { fileDir: exampleDir, snippets: k % 2 === 0 });
    hover(result.doc, pos);
  }
}

test('random bytes (decoded as the editor would)', () => {
  const r = rng(1);
  for (let i = 0; i < 150; i++) {
    const bytes = Uint8Array.from({ length: Math.floor(r() * 400) }, () => Math.floor(r() * 256));
    exercise(new TextDecoder().decode(bytes), `bytes#${i}`);
  }
});

test('random token soup', () => {
  const r = rng(2);
  for (let i = 0; i < 300; i++) {
    const n = Math.floor(r() * 60);
    exercise(Array.from({ length: n }, () => pick(r, SOUP) + (r() < 0.5 ? ' ' : '')).join(''), `soup#${i}`);
  }
});

test('mutations of the example: deleted, duplicated, swapped and spliced pieces', () => {
  const r = rng(3);
  for (let i = 0; i < 200; i++) {
    let text = example;
    const edits = 1 + Math.floor(r() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * text.length);
      const len = Math.floor(r() * 12);
      switch (Math.floor(r() * 4)) {
        case 0:
          text = text.slice(0, at) + text.slice(at + len);
          break;
        case 1:
          text = text.slice(0, at) + text.slice(at, at + len) + text.slice(at);
          break;
        case 2:
          text = text.slice(0, at) + pick(r, SOUP) + text.slice(at);
          break;
        default: {
          const other = Math.floor(r() * text.length);
          text = text.slice(0, at) + text.slice(other, other + len) + text.slice(at + len);
        }
      }
    }
    exercise(text, `mutation#${i}`);
  }
});

test('pathological shapes: deep nesting, very long lines, many blocks', () => {
  exercise('{'.repeat(20000), 'open braces');
  exercise('}'.repeat(20000), 'close braces');
  exercise(`prompt "${'a'.repeat(200000)}`, 'long unterminated string');
  exercise('concept a {\n'.repeat(3000), 'unclosed blocks');
  exercise(Array.from({ length: 2000 }, (_, i) => `generate g${i} {\n  prompt "x"\n}`).join('\n'), 'many blocks');
  exercise('\\'.repeat(1000) + '"' + '\\'.repeat(1001), 'backslashes');
});
