// Tokenizer parity on the text people paste into prompts (HTML entities, word-processor typography,
// fullwidth forms, accents, other scripts, emoji, mojibake, tool syntax, control characters): ids from
// transformers' CLIPTokenizer with ftfy, as the pipeline loads it (fixtures/make/tokenizer_cases.py).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ClipTokenizer } from '../../sidecar/tokenizer/clip';

const FIXTURES = join(__dirname, '..', '..', 'fixtures');
const { cases } = JSON.parse(readFileSync(join(FIXTURES, 'tokenizer-cases.json'), 'utf8')) as { cases: { prompt: string; ids: number[] }[] };
let tokenizer: ClipTokenizer;
before(async () => {
  tokenizer = await ClipTokenizer.fromFolder(join(FIXTURES, 'tiny-sd', 'tokenizer'));
});

for (const c of cases) {
  test(`same ids as the reference: ${JSON.stringify(c.prompt).slice(0, 70)}`, () => {
    assert.deepEqual(tokenizer.encode(c.prompt).ids, c.ids);
  });
}
