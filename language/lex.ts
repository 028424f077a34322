// Tokens of the concept file. The lexer never throws: anything it cannot read becomes an `error`
// token with a message, and runs of garbage collapse into one token so binary input stays cheap.
import type { Range } from './ast';

export type TokenKind = 'ident' | 'string' | 'number' | 'size' | 'lbrace' | 'rbrace' | 'newline' | 'comment' | 'error';

export interface Token {
  kind: TokenKind;
  /** Source text of the token. */
  raw: string;
  range: Range;
  /** Decoded value: string contents, or the number. */
  str?: string;
  num?: number;
  width?: number;
  height?: number;
  /** Set on strings without a closing quote and on error tokens. */
  error?: string;
  /** Extra problems inside a string (unknown escapes), as [startCol, endCol, message]. */
  escapeErrors?: [number, number, string][];
}

const NUMBER = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const SIZE = /(\d+)[xX](\d+)/y;
const IDENT = /[\p{L}_][\p{L}\p{N}_-]*/uy;
const WORD_TAIL = /[\p{L}\p{N}_.-]+/uy;
const GARBAGE = /[^\s#"{}]+/uy;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\u00a0' || c === '\ufeff';
}

export function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 0;
  let lineStart = 0;
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number, extra: Partial<Token> = {}): void => {
    tokens.push({
      kind,
      raw: text.slice(start, end),
      range: { start: { line, character: start - lineStart }, end: { line, character: end - lineStart } },
      ...extra,
    });
  };
  const match = (re: RegExp): string | null => {
    re.lastIndex = i;
    const m = re.exec(text);
    return m ? m[0] : null;
  };

  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) {
      push('newline', i, i + 1);
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '#') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
      push('comment', start, i);
      continue;
    }
    if (c === '{' || c === '}') {
      push(c === '{' ? 'lbrace' : 'rbrace', i, i + 1);
      i++;
      continue;
    }
    if (c === '"') {
      i++;
      let value = '';
      let closed = false;
      const escapeErrors: [number, number, string][] = [];
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') {
        const ch = text[i]!;
        if (ch === '"') {
          closed = true;
          i++;
          break;
        }
        const next = text[i + 1];
        if (ch === '\\' && next !== undefined && next !== '\n' && next !== '\r') {
          const esc = ESCAPES[next];
          if (esc === undefined) {
            escapeErrors.push([i - lineStart, i + 2 - lineStart, `unknown escape \\${next}: use \\" \\\\ \\n or \\t`]);
            value += next;
          } else value += esc;
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      push('string', start, i, {
        str: value,
        error: closed ? undefined : 'unterminated string: add a closing "',
        escapeErrors: escapeErrors.length ? escapeErrors : undefined,
      });
      continue;
    }
    const size = /\d/.test(c) ? match(SIZE) : null;
    if (size) {
      const [w, h] = size.split(/[xX]/).map(Number) as [number, number]; // SIZE is digits, x, digits
      i += size.length;
      const tail = match(WORD_TAIL);
      if (tail) {
        i += tail.length;
        push('error', start, i, { error: `"${text.slice(start, i)}" is not a size: write WIDTHxHEIGHT, e.g. 512x512` });
      } else push('size', start, i, { width: w, height: h });
      continue;
    }
    const num = /[\d.+-]/.test(c) ? match(NUMBER) : null;
    if (num) {
      i += num.length;
      const tail = match(WORD_TAIL);
      if (tail) {
        i += tail.length;
        push('error', start, i, { error: `"${text.slice(start, i)}" is not a number` });
      } else push('number', start, i, { num: Number(num) });
      continue;
    }
    const id = match(IDENT);
    if (id) {
      i += id.length;
      push('ident', start, i);
      continue;
    }
    const junk = match(GARBAGE) ?? c;
    i += junk.length;
    const shown = junk.length > 20 ? `${junk.slice(0, 20)}…` : junk;
    push('error', start, i, { error: `unexpected "${shown}": expected a key, a value, "{" or "}"` });
  }
  return tokens;
}
