// HTML character references, as ftfy unescapes them: numeric (&#233; &#xE9;) and the named
// entities that appear in prompts copied from web pages. ftfy also accepts all-caps names (&AMP;).

const NAMED: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', shy: '\u00ad',
  copy: '©', reg: '®', trade: '™', deg: '°', plusmn: '±', times: '×', divide: '÷', micro: 'µ',
  middot: '·', para: '¶', sect: '§', cent: '¢', pound: '£', euro: '€', yen: '¥', curren: '¤',
  laquo: '«', raquo: '»', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', sbquo: '‚', bdquo: '„',
  ndash: '–', mdash: '—', hellip: '…', bull: '•', prime: '′', Prime: '″', iexcl: '¡', iquest: '¿',
  frac12: '½', frac14: '¼', frac34: '¾', sup1: '¹', sup2: '²', sup3: '³', ordf: 'ª', ordm: 'º',
  larr: '←', rarr: '→', uarr: '↑', darr: '↓', harr: '↔', hearts: '♥', spades: '♠', clubs: '♣', diams: '♦',
  star: '☆', check: '✓', infin: '∞', ne: '≠', le: '≤', ge: '≥', asymp: '≈', minus: '−',
  szlig: 'ß', aelig: 'æ', AElig: 'Æ', oelig: 'œ', OElig: 'Œ', eth: 'ð', ETH: 'Ð', thorn: 'þ', THORN: 'Þ',
};

const ACCENTS: Readonly<Record<string, string>> = { acute: '\u0301', grave: '\u0300', circ: '\u0302', uml: '\u0308', tilde: '\u0303', ring: '\u030a', cedil: '\u0327', slash: '\u0338' };

const ENTITY = /&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,23});/g;

function named(name: string): string | undefined {
  const direct = NAMED[name] ?? (name === name.toUpperCase() ? NAMED[name.toLowerCase()] : undefined);
  if (direct !== undefined) return direct;
  // letters with accents: &eacute; &Ouml; &ccedil; &oslash; ... (Latin-1 letters)
  const m = /^([A-Za-z])(acute|grave|circ|uml|tilde|ring|cedil|slash)$/.exec(name);
  if (m) {
    if (m[2] === 'slash') return m[1] === 'o' ? 'ø' : m[1] === 'O' ? 'Ø' : undefined;
    return (m[1]! + ACCENTS[m[2]!]!).normalize('NFC');
  }
  return undefined;
}

export function decodeHtmlEntities(text: string): string {
  return text.replace(ENTITY, (whole, body: string) => {
    if (body.startsWith('#')) {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || code === 0) return '\ufffd';
      return String.fromCodePoint(code);
    }
    return named(body) ?? whole;
  });
}
