// Identifier advice rests on the bundled CLIP vocabulary: check the token splits against the
// reference tokenizer output (transformers' CLIPTokenizer) in the fixtures.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { bundledTokenizer } from '../../language/clip-vocab';
import { COMMON_TOKEN_ID_LIMIT, identifierInfo, rareIdentifiers } from '../../language/identifiers';

const root = resolve(__dirname, '..', '..');

test('the bundled vocabulary is the fixture tokenizer’s, byte for byte', () => {
  for (const f of ['vocab.json', 'merges.txt']) {
    assert.ok(readFileSync(join(root, 'data', 'clip-tokenizer', f)).equals(readFileSync(join(root, 'fixtures', 'tiny-sd', 'tokenizer', f))), f);
  }
});

test('token ids of the reference prompts match transformers (prompts without ftfy/html/special-token effects)', () => {
  const ref = JSON.parse(readFileSync(join(root, 'fixtures', 'tiny-sd', 'cases', 'tokenizer.json'), 'utf8')) as { cases: { prompt: string; ids_untruncated: number[] }[] };
  const tok = bundledTokenizer();
  let n = 0;
  for (const c of ref.cases) {
    if (/[“”‘’…—＀-￯ﬁ&<]/.test(c.prompt)) continue;
    assert.deepEqual(tok.tokenIds(c.prompt), c.ids_untruncated.slice(1, -1), c.prompt);
    n++;
  }
  assert.ok(n >= 15, `${n} prompts compared`);
});

test('every suggested identifier is one rare token', () => {
  const tok = bundledTokenizer();
  const rare = rareIdentifiers();
  assert.ok(rare.length >= 8);
  assert.equal(rare[0]!.word, 'ohwx');
  for (const r of rare) {
    assert.deepEqual(tok.tokenize(r.word), [`${r.word}</w>`], r.word);
    assert.ok(r.id >= 30000 && r.id > COMMON_TOKEN_ID_LIMIT, `${r.word} #${r.id}`);
    assert.equal(identifierInfo(r.word).common, false);
  }
});

test('reference ids: "sks" is #48136 and "person" #2533 (from the fixture encoding of "photo of sks person")', () => {
  assert.equal(identifierInfo('sks').id, 48136);
  assert.equal(identifierInfo('person').id, 2533);
  assert.equal(identifierInfo('person').common, true);
  assert.deepEqual(identifierInfo('zwx').tokens, ['z', 'wx</w>']);
});
