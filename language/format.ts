// The formatter: one statement per line, blocks indented, values aligned in each run of consecutive
// lines (a blank line ends a run, as in gofmt), trailing comments aligned, at most one blank line,
// a final newline. It rebuilds the file from the syntax tree, keeping every comment and every value's
// source text, so formatting twice changes nothing. Files with syntax errors are left alone.
import type { Block, Comment, ConceptDoc, Property } from './ast';
import { parseConcept } from './parse';

export interface FormatOptions {
  /** One level of indentation; default two spaces. */
  indent?: string;
}

type Item =
  | { kind: 'prop'; line: number; col: number; prop: Property; depth: number }
  | { kind: 'open'; line: number; col: number; block: Block }
  | { kind: 'close'; line: number; col: number }
  | { kind: 'comment'; line: number; col: number; comment: Comment; depth: number };

interface OutLine {
  depth: number;
  /** For property lines: key and value, aligned later. */
  key?: string;
  value?: string;
  text?: string;
  trailing?: string;
  /** Whether a blank line precedes it. */
  blankBefore: boolean;
}

function collect(doc: ConceptDoc): Item[] {
  const items: Item[] = [];
  for (const p of doc.properties) items.push({ kind: 'prop', line: p.range.start.line, col: p.range.start.character, prop: p, depth: 0 });
  const blockSpans: { start: number; end: number }[] = [];
  for (const b of doc.blocks) {
    items.push({ kind: 'open', line: b.keywordRange.start.line, col: b.keywordRange.start.character, block: b });
    for (const p of b.properties) items.push({ kind: 'prop', line: p.range.start.line, col: p.range.start.character, prop: p, depth: 1 });
    if (b.closeRange) items.push({ kind: 'close', line: b.closeRange.start.line, col: b.closeRange.start.character });
    blockSpans.push({ start: b.keywordRange.start.line, end: b.closeRange?.start.line ?? Infinity });
  }
  for (const c of doc.comments) {
    // A comment line inside a block is indented with the block (but not one on the `}` line itself).
    const inside = blockSpans.some((s) => c.range.start.line > s.start && c.range.start.line < s.end);
    items.push({ kind: 'comment', line: c.range.start.line, col: c.range.start.character, comment: c, depth: inside ? 1 : 0 });
  }
  return items.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Formats a concept file; returns the text unchanged when it has syntax errors. */
export function formatConcept(text: string, opts: FormatOptions = {}): string {
  const { doc } = parseConcept(text);
  if (doc.hasSyntaxErrors) return text;
  const indent = opts.indent ?? '  ';
  const eol = text.includes('\r\n') ? '\r\n' : '\n';

  const out: OutLine[] = [];
  let prevLine = -1;
  let prevKind: Item['kind'] | undefined;
  for (const item of collect(doc)) {
    const last = out[out.length - 1];
    if (item.kind === 'comment' && last && item.line === prevLine) {
      last.trailing = item.comment.text.trimEnd();
      continue;
    }
    const blankBefore = out.length > 0 && item.line > prevLine + 1 && prevKind !== 'open' && item.kind !== 'close';
    switch (item.kind) {
      case 'prop':
        out.push({ depth: item.depth, key: item.prop.key, value: item.prop.value?.raw ?? '', blankBefore });
        break;
      case 'open': {
        const b = item.block;
        out.push({ depth: 0, text: `${b.kind}${b.name ? ` ${b.name}` : ''} {`, blankBefore: blankBefore || (out.length > 0 && prevKind !== 'comment') });
        break;
      }
      case 'close':
        out.push({ depth: 0, text: '}', blankBefore: false });
        break;
      case 'comment':
        out.push({ depth: item.depth, text: item.comment.text.trimEnd(), blankBefore });
        break;
    }
    // A multi-line item (a block whose `{` was on the next line) ends where its last token is.
    prevLine = item.kind === 'open' ? (item.block.openRange?.end.line ?? item.line) : item.line;
    prevKind = item.kind;
  }

  // Align keys, then trailing comments, within runs of lines of the same depth without blank lines.
  const runs: OutLine[][] = [];
  for (const l of out) {
    const run = runs.at(-1);
    const head = run?.[0];
    if (run && head && !l.blankBefore && head.depth === l.depth && l.text !== '}' && !(l.text?.endsWith('{') ?? false) && !(head.text?.endsWith('{') ?? false)) run.push(l);
    else runs.push([l]);
  }
  const rendered = new Map<OutLine, string>();
  for (const run of runs) {
    const keyWidth = Math.max(0, ...run.filter((l) => l.key !== undefined).map((l) => l.key!.length));
    const body = (l: OutLine) => indent.repeat(l.depth) + (l.key !== undefined ? `${l.key.padEnd(keyWidth)} ${l.value}`.trimEnd() : (l.text ?? ''));
    const withComment = run.filter((l) => l.trailing !== undefined && l.text === undefined);
    const commentCol = Math.max(0, ...withComment.map((l) => body(l).length)) + 2;
    for (const l of run) {
      const b = body(l);
      if (l.trailing === undefined) rendered.set(l, b);
      else rendered.set(l, l.text === undefined ? `${b.padEnd(commentCol)}${l.trailing}` : `${b}  ${l.trailing}`);
    }
  }
  const lines: string[] = [];
  for (const l of out) {
    if (l.blankBefore) lines.push('');
    lines.push(rendered.get(l)!);
  }
  return lines.length ? lines.join(eol) + eol : '';
}
