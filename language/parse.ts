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
  const tokens = lex(text);
  const diagnostics: Diagnostic[] = [];
  const doc: ConceptDoc = { properties: [], blocks: [], comments: [], hasSyntaxErrors: false };
  let errors = 0;
  const error = (r: Range, message: string, fix?: Diagnostic['fix']): void => {
    doc.hasSyntaxErrors = true;
    errors++;
    if (errors <= MAX_SYNTAX_ERRORS) diagnostics.push({ range: r, severity: 'error', message, code: 'syntax', ...(fix ? { fix } : {}) });
    else if (errors === MAX_SYNTAX_ERRORS + 1) diagnostics.push({ range: r, severity: 'error', message: `more than ${MAX_SYNTAX_ERRORS} syntax errors; stopped reporting`, code: 'syntax' });
  };

  // Significant tokens only; comments are kept aside for the formatter and folding.
  const toks: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'comment') doc.comments.push({ text: t.raw, range: t.range });
    else toks.push(t);
  }
  // String-internal problems are reported where the string is, whatever the parser makes of it.
  for (const t of toks) {
    if (t.kind === 'string') {
      if (t.error) error(t.range, t.error);
      for (const [s, e, msg] of t.escapeErrors ?? []) error(range(t.range.start.line, s, t.range.start.line, e), msg);
    }
  }

  let i = 0;
  let block: Block | undefined;
  const peek = (k = 0): Token | undefined => toks[i + k];
  const atLineEnd = (t: Token | undefined): boolean => !t || t.kind === 'newline';
  const skipLine = (): void => {
    while (i < toks.length && toks[i].kind !== 'newline') i++;
  };
  const closeBlock = (b: Block, end: Range): void => {
    b.range = span(b.keywordRange, end);
  };

  /** Key at toks[i]; reads `key value` and what follows on the line. */
  const parseProperty = (): Property => {
    const keyTok = toks[i++];
    const prop: Property = { key: keyTok.raw, keyRange: keyTok.range, range: keyTok.range };
    const next = peek();
    if (atLineEnd(next) || next?.kind === 'rbrace') {
      error(keyTok.range, `"${keyTok.raw}" needs a value on the same line`);
      return prop;
    }
    const value = toValue(next!);
    if (!value) {
      if (next!.kind === 'error') error(next!.range, next!.error ?? 'unexpected input');
      else error(next!.range, `expected a value for "${keyTok.raw}", found "${next!.raw}"`);
      // One error per line is enough: skip the rest quietly.
      while (i < toks.length && toks[i].kind !== 'newline' && toks[i].kind !== 'rbrace') i++;
      return prop;
    }
    i++;
    prop.value = value;
    prop.range = span(keyTok.range, value.range);
    skipRestOfProperty();
    return prop;
  };
  /** After a value only the end of the line or a `}` may follow. */
  const skipRestOfProperty = (): void => {
    const first = peek();
    if (atLineEnd(first) || first?.kind === 'rbrace') return;
    let last = first!;
    while (i < toks.length && toks[i].kind !== 'newline' && toks[i].kind !== 'rbrace') last = toks[i++];
    const msg =
      first!.kind === 'string' || first!.kind === 'ident'
        ? 'one value per line: unexpected text after the value (strings need "quotes" around spaces)'
        : 'one value per line: unexpected text after the value';
    error(span(first!.range, last.range), msg);
  };

  /** Skips `name [name] { ... }` through its matching `}` (or to the end). */
  const skipUnknownBlock = (): void => {
    while (i < toks.length && toks[i].kind !== 'lbrace') i++;
    let depth = 0;
    for (; i < toks.length; i++) {
      if (toks[i].kind === 'lbrace') depth++;
      else if (toks[i].kind === 'rbrace' && --depth === 0) {
        i++;
        return;
      }
    }
  };

  /** `kind [name] {` at toks[i]; returns the opened block. */
  const parseBlockHeader = (kind: BlockKind): Block => {
    const kw = toks[i++];
    const b: Block = { kind, keywordRange: kw.range, range: kw.range, properties: [] };
    let t = peek();
    if (t?.kind === 'ident') {
      b.name = t.raw;
      b.nameRange = t.range;
      i++;
      t = peek();
    } else if (t && t.kind !== 'lbrace' && t.kind !== 'newline') {
      // e.g. `generate "x" {`: report, keep going on the same line.
      error(t.range, t.kind === 'error' ? (t.error ?? 'unexpected input') : `a block name is a bare identifier, e.g. ${kind} ohwx {`);
      i++;
      t = peek();
    }
    if (t?.kind === 'newline') {
      // Allow the brace on the following line (Allman style); the formatter moves it up.
      let j = i;
      while (toks[j]?.kind === 'newline') j++;
      if (toks[j]?.kind === 'lbrace') {
        i = j;
        t = peek();
      }
    }
    if (t?.kind === 'lbrace') {
      b.openRange = t.range;
      b.range = span(kw.range, t.range);
      i++;
    } else {
      error(b.nameRange ?? kw.range, `expected "{" after "${kind}${b.name ? ` ${b.name}` : ''}"`);
    }
    return b;
  };

  while (i < toks.length) {
    const t = toks[i];
    switch (t.kind) {
      case 'newline':
        i++;
        continue;
      case 'rbrace':
        if (block) {
          block.closeRange = t.range;
          closeBlock(block, t.range);
          block = undefined;
        } else error(t.range, 'unmatched "}"');
        i++;
        continue;
      case 'lbrace':
        error(t.range, block ? 'blocks cannot be nested: unexpected "{"' : 'unexpected "{": a block starts with concept NAME, train or generate NAME');
        i++;
        continue;
      case 'error':
        error(t.range, t.error ?? 'unexpected input');
        skipLine();
        continue;
      case 'ident': {
        const next = peek(1);
        // `concept NAME {`, `train {`, also with the `{` missing or on the next line.
        // `trian {` / `generat x {`: a misspelt block keyword, parsed as the block it most resembles.
        const opensBlock = next?.kind === 'lbrace' || (next?.kind === 'ident' && peek(2)?.kind === 'lbrace');
        let kind: BlockKind | undefined = isBlockKind(t.raw) && (next?.kind === 'lbrace' || next?.kind === 'ident' || atLineEnd(next)) ? t.raw : undefined;
        if (!kind && opensBlock) {
          const guess = didYouMean(t.raw, BLOCK_KINDS);
          const msg = `unknown block "${t.raw}"${guess ? `; did you mean ${guess}?` : `: blocks are ${BLOCK_KINDS.join(', ')}`}`;
          error(t.range, msg, guess ? replaceFix(t.range, guess) : undefined);
          if (guess) kind = guess as BlockKind;
          else {
            skipUnknownBlock();
            continue;
          }
        }
        if (kind) {
          if (block) {
            // A forgotten `}` is the usual cause: close the open block here and carry on.
            error(block.keywordRange, `"${block.kind}" block is not closed: add "}" before line ${t.range.start.line + 1}`);
            block = undefined;
          }
          const b = parseBlockHeader(kind);
          doc.blocks.push(b);
          block = b;
          continue;
        }
        const prop = parseProperty();
        if (block) {
          block.properties.push(prop);
          block.range = span(block.keywordRange, prop.range);
        } else doc.properties.push(prop);
        continue;
      }
      default:
        error(t.range, `expected a key at the start of the line, found ${t.kind === 'string' ? 'a string' : `"${t.raw}"`}`);
        skipLine();
        continue;
    }
  }
  if (block) error(block.keywordRange, `"${block.kind}" block is not closed: add "}" at the end`);
  diagnostics.sort(byPosition);
  return { doc, diagnostics };
}
