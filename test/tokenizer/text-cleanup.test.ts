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

test('ftfy 6.1.1 on the examples of its documentation, its surrogates, lines and ligatures', () => {
  assert.equal(fixText('\u00e2\u0153\u201d No problems'), '\u2714 No problems');
  assert.equal(fixText('&macr;\\_(\u00e3\x83\x84)_/&macr;'), '\u00af\\_(\u30c4)_/\u00af');
  assert.equal(fixText('Broken text&hellip; it&#x2019;s \ufb02ubberi\ufb01c!'), "Broken text\u2026 it's flubberific!");
  assert.equal(fixText('voil\u00c3 le travail'), 'voil\u00e0 le travail', 'a no-break space that became a space');
  assert.equal(fixText('s\u00c3\u00b3 sch\u00c3\u00b6n'), 's\u00f3 sch\u00f6n');
  assert.equal(fixText('\udc00\ud800x'), '\ufffd\ufffdx', 'unpaired surrogates');
  assert.equal(fixText('\ufb05'), '\u017ft', 'ftfy keeps the long s of the \ufb05 ligature');
  assert.equal(fixText('a &amp;\n<b> &amp;\n&amp;'), 'a &\n<b> &amp;\n&amp;', 'entities decoded until the first line with "<"');
  assert.equal(fixText('&amp;\r&amp;'), '&\n&', 'a lone CR is no line of its own');
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
