// Tokenizer parity on the text people paste into prompts (HTML entities, word-processor typography,
// fullwidth forms, accents, other scripts, emoji, mojibake of every family ftfy repairs, text that only
// looks like mojibake, tool syntax, control characters): ftfy.fix_text's output and the ids of
// transformers' CLIPTokenizer with ftfy, as the pipeline loads it (fixtures/make/tokenizer_cases.py).
// The cleaned text is compared first, so that a failure points at the clean-up rather than BPE.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ClipTokenizer } from '../../sidecar/tokenizer/clip';
import { fixText } from '../../sidecar/tokenizer/text-cleanup';

const FIXTURES = join(__dirname, '..', '..', 'fixtures');
const { cases } = JSON.parse(readFileSync(join(FIXTURES, 'tokenizer-cases.json'), 'utf8')) as { cases: { prompt: string; fixed: string; ids: number[] }[] };
let tokenizer: ClipTokenizer;
before(async () => {
  tokenizer = await ClipTokenizer.fromFolder(join(FIXTURES, 'tiny-sd', 'tokenizer'));
});

for (const c of cases) {
  test(`same clean-up and ids as the reference: ${JSON.stringify(c.prompt).slice(0, 70)}`, () => {
    assert.equal(fixText(c.prompt), c.fixed);
    assert.deepEqual(tokenizer.encode(c.prompt).ids, c.ids);
  });
}
