// HTML character references, decoded as ftfy's unescape_html does: every HTML5 named reference that
// ends in ";" (data/html5-entities.json, the WHATWG table), all-caps forms of the lowercase names
// (&EACUTE; → É, as ftfy allows when the uppercase name is not an entity of its own), and numeric
// references (&#233; &#xE9;) as Python's html.unescape reads them. Anything else is left as written.
import HTML5 from '../../data/html5-entities.json';

const NAMED = HTML5 as Readonly<Record<string, string>>;
const ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

/** The code points html.unescape maps numeric references in 0x80–0x9f and a few others to. */
const NUMERIC_FIXUPS: Readonly<Record<number, string>> = {
  0x00: '\ufffd', 0x0d: '\r', 0x80: '€', 0x81: '\x81', 0x82: '‚', 0x83: 'ƒ', 0x84: '„', 0x85: '…', 0x86: '†', 0x87: '‡',
  0x88: 'ˆ', 0x89: '‰', 0x8a: 'Š', 0x8b: '‹', 0x8c: 'Œ', 0x8d: '\x8d', 0x8e: 'Ž', 0x8f: '\x8f', 0x90: '\x90', 0x91: '‘',
  0x92: '’', 0x93: '“', 0x94: '”', 0x95: '•', 0x96: '–', 0x97: '—', 0x98: '˜', 0x99: '™', 0x9a: 'š', 0x9b: '›', 0x9c: 'œ',
  0x9d: '\x9d', 0x9e: 'ž', 0x9f: 'Ÿ',
};

function numeric(body: string): string | undefined {
  const m = /^#(?:[xX]([0-9a-fA-F]+)|([0-9]+))$/.exec(body);
  if (!m) return undefined;
  const code = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10);
  if (code in NUMERIC_FIXUPS) return NUMERIC_FIXUPS[code];
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
