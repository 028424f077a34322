// Mojibake repair as ftfy 6's fix_encoding does it: text whose UTF-8 bytes were decoded in a single-byte
// encoding ("cafÃ©", "ÐŸÑ€Ð¸Ð²ÐµÑ‚", "Ï„Î¿", "Å‚Ä…ka") is encoded back to those bytes and decoded as UTF-8.
// One step, repeated until the text stops changing (mojibake can be layered):
//   1. leave it alone if it is ASCII or does not look bad (badness.ts)
//   2. for each encoding ftfy tries (charmaps.ts), in order: if the whole text encodes in it, repair the
//      bytes (byte-repairs.ts) and take the first that decodes as UTF-8 (utf8-variants.ts)
//   3. otherwise repair the runs that look like UTF-8 mojibake one by one (text mixing good and bad)
//   4. otherwise read the C1 controls as windows-1252. (ftfy first checks whether the text is Latin-1
//      meant as windows-1252, but that repair is this one.)

import { isBad } from './badness';
import { ALTERED_UTF8, replaceLossySequences, restoreByteA0 } from './byte-repairs';
import { CHARMAPS, isSloppy } from './charmaps';
import { CP1252_C1 } from './cp1252';
import { decodeUtf8Variants } from './utf8-variants';
import TABLES from '../../data/ftfy-tables.json';

const ASCII = /^[\x00-\x7f]*$/;
const C1_CONTROL = /[\x80-\x9f]/g;

/** ftfy's UTF8_DETECTOR_RE: runs of what UTF-8 lead and continuation bytes look like in the encodings
 *  above (a space may stand for A0), not right after a character that only continues a sequence, so
 *  that a few characters of a longer garble are not "repaired" into a worse one. */
const { utf8_first_of_2: lead2, utf8_first_of_3: lead3, utf8_first_of_4: lead4, utf8_continuation: cont, utf8_continuation_strict: contStrict } = TABLES.utf8_clues;
const UTF8_MOJIBAKE_RUN = new RegExp(`(?<![${contStrict}])(?:[${lead2}][${cont}]|[${lead3}][${cont}]{2}|[${lead4}][${cont}]{3})+`, 'gu');

/** ftfy.fix_encoding: repairs until nothing changes. */
export function fixEncoding(text: string): string {
  for (;;) {
    const next = fixEncodingStep(text);
    if (next === text) return text;
    text = next;
  }
}

function fixEncodingStep(text: string): string {
  if (ASCII.test(text) || !isBad(text)) return text;
  for (const map of CHARMAPS) {
    let bytes = map.encode(text);
    if (bytes === undefined) continue;
    if (bytes.search(ALTERED_UTF8) >= 0) bytes = restoreByteA0(bytes);
    if (isSloppy(map)) bytes = replaceLossySequences(bytes);
    const fixed = decodeUtf8Variants(bytes);
    if (fixed !== undefined) return fixed;
  }
  const fixed = decodeInconsistentUtf8(text);
  return fixed !== text ? fixed : fixC1Controls(text);
}

/** ftfy's decode_inconsistent_utf8: each run that looks like UTF-8 mojibake and is bad on its own is
 *  repaired by itself (only a run shorter than the text, so this cannot recurse forever). */
function decodeInconsistentUtf8(text: string): string {
  return text.replace(UTF8_MOJIBAKE_RUN, (run) => (run.length < text.length && isBad(run) ? fixEncoding(run) : run));
}

/** C1 control characters (U+0080–U+009F) as the windows-1252 characters they almost always were, as
 *  browsers read them; the five bytes windows-1252 leaves undefined stay as they are. */
export function fixC1Controls(text: string): string {
  return text.replace(C1_CONTROL, (c) => CP1252_C1[c.charCodeAt(0) - 0x80]!);
}
