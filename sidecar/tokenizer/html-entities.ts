// HTML character references, decoded as ftfy's unescape_html does: every HTML5 named reference that
// ends in ";" (data/html5-entities.json, the WHATWG table), all-caps forms of the lowercase names
// (&EACUTE; → É, as ftfy allows when the uppercase name is not an entity of its own), and numeric
// references (&#233; &#xE9;) as Python's html.unescape reads them. Anything else is left as written.
import HTML5 from '../../data/html5-entities.json';
import { CP1252_C1 } from './cp1252';

const NAMED = HTML5 as Readonly<Record<string, string>>;
const ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

/** Numeric references html.unescape does not read as their code point (besides 0x80–0x9f: windows-1252). */
const NUMERIC_FIXUPS: Readonly<Record<number, string>> = { 0x00: '\ufffd', 0x0d: '\r' };

function numeric(body: string): string | undefined {
  const m = /^#(?:[xX]([0-9a-fA-F]+)|([0-9]+))$/.exec(body);
  if (!m) return undefined;
  const code = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10);
  if (code in NUMERIC_FIXUPS) return NUMERIC_FIXUPS[code];
  if (code >= 0x80 && code <= 0x9f) return CP1252_C1[code - 0x80];
  if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return '\ufffd';
  return String.fromCodePoint(code);
}

function named(name: string): string | undefined {
  if (Object.hasOwn(NAMED, name)) return NAMED[name];
  const lower = name.toLowerCase();
  if (name === name.toUpperCase() && lower !== name && Object.hasOwn(NAMED, lower)) return NAMED[lower]!.toUpperCase();
  return undefined;
}

export function decodeHtmlEntities(text: string): string {
  return text.replace(ENTITY, (whole) => {
    const body = whole.slice(1, -1);
    return (body.startsWith('#') ? numeric(body) : named(body)) ?? whole;
  });
}
