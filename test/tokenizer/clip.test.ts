import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClipTokenizer } from '../../sidecar/tokenizer/clip';

const TINY = join(import.meta.dirname, '../../fixtures/tiny-sd');
interface Case {
  index: number;
  prompt: string;
  input_ids: number[];
  ids_untruncated: number[];
  n_tokens_untruncated: number;
  truncated: boolean;
  tokens: string[];
}
const fixture = JSON.parse(readFileSync(join(TINY, 'cases/tokenizer.json'), 'utf8')) as { cases: Case[]; pad_token_id: number; model_max_length: number };
let tokenizer: ClipTokenizer;
before(async () => {
  tokenizer = await ClipTokenizer.fromFolder(join(TINY, 'tokenizer'));
});

for (const c of fixture.cases) {
  test(`prompt ${c.index}: ${JSON.stringify(c.prompt.slice(0, 50))} → the reference ids`, () => {
    const enc = tokenizer.encode(c.prompt);
    assert.deepEqual(enc.ids, c.input_ids);
    assert.equal(enc.ids.length, fixture.model_max_length);
    assert.equal(enc.truncated, c.truncated);
    // `tokens` / `ids_untruncated`: the whole sequence with BOS and EOS, before truncation
    assert.deepEqual(tokenizer.tokenize(c.prompt), c.tokens.slice(1, -1));
    assert.deepEqual(tokenizer.tokenIds(c.prompt), c.ids_untruncated.slice(1, -1));
  });
}

test('truncation reports the dropped words', () => {
  const long = fixture.cases.find((c) => c.truncated && c.prompt.startsWith('the quick'))!;
  const enc = tokenizer.encode(long.prompt);
  assert.ok(enc.truncated);
  assert.equal(enc.length, 77);
  assert.ok(long.prompt.endsWith(enc.dropped), `dropped "${enc.dropped}" should be the end of the prompt`);
  assert.equal(tokenizer.tokenCount(enc.dropped), long.n_tokens_untruncated - 77);
  const short = tokenizer.encode('photo of sks person');
  assert.equal(short.truncated, false);
  assert.equal(short.dropped, '');
  assert.equal(short.length, 6);
});

test('tokenCount / isSingleToken / decode', () => {
  assert.equal(tokenizer.isSingleToken('sks'), true); // 48136 in the fixture
  assert.equal(tokenizer.isSingleToken('photo'), true);
  assert.equal(tokenizer.tokenCount('parentheses'), 2); // 'paren' 'theses' in the fixture
  assert.equal(tokenizer.isSingleToken('parentheses'), false);
  assert.equal(tokenizer.decode(fixture.cases[2]!.input_ids), 'a photograph of an astronaut riding a horse');
});

test('fromFolderSync gives the same tokenizer; a folder without files is a clear error', async () => {
  const sync = ClipTokenizer.fromFolderSync(join(TINY, 'tokenizer'));
  assert.deepEqual(sync.encode(fixture.cases[9]!.prompt).ids, fixture.cases[9]!.input_ids);
  await assert.rejects(ClipTokenizer.fromFolder(join(TINY, 'no-such-folder')), /vocab\.json: missing/);
});
