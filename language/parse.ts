// The concept-file parser: line-oriented, error-recovering, never throws. One pass over the tokens
// with an explicit state (top level or inside one block), so hostile input (deep nesting, binary soup)
// costs linear time and no stack.
import { BLOCK_KINDS, range, replaceFix, type Block, type BlockKind, type ConceptDoc, type Diagnostic, type Property, type Range, type Value } from './ast';
import { lex, type Token } from './lex';
import { didYouMean } from './text';

/** Past this many syntax errors the parser stops reporting (it still builds the tree). */
export const MAX_SYNTAX_ERRORS = 100;

export interface ParseResult {
  doc: ConceptDoc;
  diagnostics: Diagnostic[];
}

const span = (a: Range, b: Range): Range => ({ start: a.start, end: b.end });

function isBlockKind(s: string): s is BlockKind {
  return (BLOCK_KINDS as readonly string[]).includes(s);
}

function toValue(t: Token): Value | undefined {
  switch (t.kind) {
    case 'string':
      return { kind: 'string', value: t.str ?? '', raw: t.raw, range: t.range, terminated: !t.error };
    case 'number':
      return { kind: 'number', value: t.num ?? NaN, raw: t.raw, range: t.range };
    case 'size':
      return { kind: 'size', width: t.width ?? 0, height: t.height ?? 0, raw: t.raw, range: t.range };
    case 'ident':
      if (t.raw === 'true' || t.raw === 'false') return { kind: 'boolean', value: t.raw === 'true', raw: t.raw, range: t.range };
      return { kind: 'ident', value: t.raw, raw: t.raw, range: t.range };
    default:
      return undefined;
  }
}

export function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}

export function parseConcept(text: string): ParseResult {
  return new Parser(text).parse();
}

/** One pass over the tokens with error recovery; each construct has its method. */
class Parser {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly doc: ConceptDoc = { properties: [], blocks: [], comments: [], hasSyntaxErrors: false };
  /** Significant tokens only; comments are kept aside (doc.comments) for the formatter and folding. */
  private readonly toks: Token[] = [];
  private errors = 0;
  private i = 0;
  /** The block being read, until its `}`. */
  private block: Block | undefined;

  constructor(text: string) {
    for (const t of lex(text)) {
      if (t.kind === 'comment') this.doc.comments.push({ text: t.raw, range: t.range });
      else this.toks.push(t);
    }
  }

  parse(): ParseResult {
    this.stringErrors();
    for (let t = this.peek(); t; t = this.peek()) this.statement(t);
    if (this.block) this.error(this.block.keywordRange, `"${this.block.kind}" block is not closed: add "}" at the end`);
    this.diagnostics.sort(byPosition);
    return { doc: this.doc, diagnostics: this.diagnostics };
  }

  private error(r: Range, message: string, fix?: Diagnostic['fix']): void {
    this.doc.hasSyntaxErrors = true;
    this.errors++;
    if (this.errors <= MAX_SYNTAX_ERRORS) this.diagnostics.push({ range: r, severity: 'error', message, code: 'syntax', ...(fix ? { fix } : {}) });
    else if (this.errors === MAX_SYNTAX_ERRORS + 1) this.diagnostics.push({ range: r, severity: 'error', message: `more than ${MAX_SYNTAX_ERRORS} syntax errors; stopped reporting`, code: 'syntax' });
  }

  /** String-internal problems are reported where the string is, whatever the parser makes of it. */
  private stringErrors(): void {
    for (const t of this.toks) {
      if (t.kind !== 'string') continue;
      if (t.error) this.error(t.range, t.error);
      for (const [s, e, msg] of t.escapeErrors ?? []) this.error(range(t.range.start.line, s, t.range.start.line, e), msg);
    }
  }

  private peek(k = 0): Token | undefined {
    return this.toks[this.i + k];
  }

  private atLineEnd(t: Token | undefined): t is undefined | (Token & { kind: 'newline' }) {
    return !t || t.kind === 'newline';
  }

  private skipLine(): void {
    while (!this.atLineEnd(this.peek())) this.i++;
  }

  /** Skips to the end of the line or to a `}` on it; returns the last token skipped. */
  private skipRestOfLine(): Token | undefined {
    let last: Token | undefined;
    for (let t = this.peek(); !this.atLineEnd(t) && t.kind !== 'rbrace'; t = this.peek()) {
      last = t;
      this.i++;
    }
    return last;
  }

  /** One line's worth at toks[i]: a blank line, a `}`, a block header, a property, or an error. */
  private statement(t: Token): void {
    switch (t.kind) {
      case 'newline':
        this.i++;
        return;
      case 'rbrace':
        if (this.block) {
          this.block.closeRange = t.range;
          this.block.range = span(this.block.keywordRange, t.range);
          this.block = undefined;
        } else this.error(t.range, 'unmatched "}"');
        this.i++;
        return;
      case 'lbrace':
        this.error(t.range, this.block ? 'blocks cannot be nested: unexpected "{"' : 'unexpected "{": a block starts with concept NAME, train or generate NAME');
        this.i++;
        return;
      case 'error':
        this.error(t.range, t.error ?? 'unexpected input');
        this.skipLine();
        return;
      case 'ident':
        this.identStatement(t);
        return;
      default:
        this.error(t.range, `expected a key at the start of the line, found ${t.kind === 'string' ? 'a string' : `"${t.raw}"`}`);
        this.skipLine();
    }
  }

  /** A line that starts with a word: a block (`concept NAME {`, `train {`, also with the `{` missing or
   *  on the next line, or a misspelt keyword parsed as the block it most resembles) or a property. */
  private identStatement(t: Token): void {
    const next = this.peek(1);
    const opensBlock = next?.kind === 'lbrace' || (next?.kind === 'ident' && this.peek(2)?.kind === 'lbrace');
    let kind: BlockKind | undefined = isBlockKind(t.raw) && (next?.kind === 'lbrace' || next?.kind === 'ident' || this.atLineEnd(next)) ? t.raw : undefined;
    if (!kind && opensBlock) {
      const guess = didYouMean(t.raw, BLOCK_KINDS);
      const msg = `unknown block "${t.raw}"${guess ? `; did you mean ${guess}?` : `: blocks are ${BLOCK_KINDS.join(', ')}`}`;
      this.error(t.range, msg, guess ? replaceFix(t.range, guess) : undefined);
      if (!guess) return this.skipUnknownBlock();
      kind = guess as BlockKind;
    }
    if (kind) {
      if (this.block) {
        // A forgotten `}` is the usual cause: close the open block here and carry on.
        this.error(this.block.keywordRange, `"${this.block.kind}" block is not closed: add "}" before line ${t.range.start.line + 1}`);
        this.block = undefined;
      }
      const b = this.blockHeader(kind, t);
      this.doc.blocks.push(b);
      this.block = b;
      return;
    }
    const prop = this.property(t);
    if (this.block) {
      this.block.properties.push(prop);
      this.block.range = span(this.block.keywordRange, prop.range);
    } else this.doc.properties.push(prop);
  }

  /** Key at toks[i]; reads `key value` and what follows on the line. */
  private property(keyTok: Token): Property {
    this.i++;
    const prop: Property = { key: keyTok.raw, keyRange: keyTok.range, range: keyTok.range };
    const next = this.peek();
    if (this.atLineEnd(next) || next?.kind === 'rbrace') {
      this.error(keyTok.range, `"${keyTok.raw}" needs a value on the same line`);
      return prop;
    }
    const value = toValue(next);
    if (!value) {
      if (next.kind === 'error') this.error(next.range, next.error ?? 'unexpected input');
      else this.error(next.range, `expected a value for "${keyTok.raw}", found "${next.raw}"`);
      // One error per line is enough: skip the rest quietly.
      this.skipRestOfLine();
      return prop;
    }
    this.i++;
    prop.value = value;
    prop.range = span(keyTok.range, value.range);
    this.restOfProperty();
    return prop;
  }

  /** After a value only the end of the line or a `}` may follow. */
  private restOfProperty(): void {
    const first = this.peek();
    if (this.atLineEnd(first) || first?.kind === 'rbrace') return;
    const last = this.skipRestOfLine() ?? first;
    const msg =
      first.kind === 'string' || first.kind === 'ident'
        ? 'one value per line: unexpected text after the value (strings need "quotes" around spaces)'
        : 'one value per line: unexpected text after the value';
    this.error(span(first.range, last.range), msg);
  }

  /** Skips `name [name] { ... }` through its matching `}` (or to the end). */
  private skipUnknownBlock(): void {
    for (let t = this.peek(); t && t.kind !== 'lbrace'; t = this.peek()) this.i++;
    let depth = 0;
    for (let t = this.peek(); t; t = this.peek()) {
      this.i++;
      if (t.kind === 'lbrace') depth++;
      else if (t.kind === 'rbrace' && --depth === 0) return;
    }
  }

  /** `kind [name] {` at toks[i]; returns the opened block. */
  private blockHeader(kind: BlockKind, kw: Token): Block {
    this.i++;
    const b: Block = { kind, keywordRange: kw.range, range: kw.range, properties: [] };
    let t = this.peek();
    if (t?.kind === 'ident') {
      b.name = t.raw;
      b.nameRange = t.range;
      this.i++;
      t = this.peek();
    } else if (t && t.kind !== 'lbrace' && t.kind !== 'newline') {
      // e.g. `generate "x" {`: report, keep going on the same line.
      this.error(t.range, t.kind === 'error' ? (t.error ?? 'unexpected input') : `a block name is a bare identifier, e.g. ${kind} ohwx {`);
      this.i++;
      t = this.peek();
    }
    if (t?.kind === 'newline') {
      // Allow the brace on the following line (Allman style); the formatter moves it up.
      let j = this.i;
      while (this.toks[j]?.kind === 'newline') j++;
      if (this.toks[j]?.kind === 'lbrace') {
        this.i = j;
        t = this.peek();
      }
    }
    if (t?.kind === 'lbrace') {
      b.openRange = t.range;
      b.range = span(kw.range, t.range);
      this.i++;
    } else {
      this.error(b.nameRange ?? kw.range, `expected "{" after "${kind}${b.name ? ` ${b.name}` : ''}"`);
    }
    return b;
  }
}
