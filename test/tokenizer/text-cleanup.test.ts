import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanPrompt, fixText, whitespaceClean } from '../../sidecar/tokenizer/text-cleanup';
import { byteDecode, byteEncode, BYTE_TO_CHAR } from '../../sidecar/tokenizer/byte-encoder';

test('ftfy-like fixes (behaviour documented by ftfy 6)', () => {
  assert.equal(fixText('&amp; &lt;3 &#233; &#xE9; &eacute; &AMP; &bogus;'), '& <3 é é é & &bogus;');
  assert.equal(fixText('<b>&amp;</b>'), '<b>&amp;</b>', 'no unescaping when the text has "<"');
  assert.equal(fixText('ﬁne ﬂow'), 'fine flow');
  assert.equal(fixText('ＡＢＣ１２３\u3000ｶ'), 'ABC123 カ');
  assert.equal(fixText('“hi” ‘there’'), '"hi" \'there\'');
  assert.equal(fixText('a\r\nb\u2028c'), 'a\nb\nc');
  assert.equal(fixText('x\x00y\ufeffz\x1b[31mred\x1b[0m'), 'xyzred');
  assert.equal(fixText('e\u0301'), 'é', 'NFC');
  assert.equal(fixText('\x93quoted\x94'), '"quoted"', 'C1 controls read as windows-1252, then uncurled');
  assert.equal(fixText('🏳️‍🌈 東京'), '🏳️‍🌈 東京', 'emoji sequences and CJK untouched');
});

test('whitespace clean and lowercase', () => {
  assert.equal(whitespaceClean('  a \t b\n\u00a0c  '), 'a b c');
  assert.equal(cleanPrompt('  Photo OF\tSKS  '), 'photo of sks');
});

test('byte encoder is a bijection on bytes and round-trips UTF-8', () => {
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  assert.equal(BYTE_TO_CHAR[0x20], '\u0120');
  assert.equal(BYTE_TO_CHAR[0x41], 'A');
  for (const s of ['café', '東京', '🐶', 'a b\n']) assert.equal(byteDecode(byteEncode(s)), s);
});
