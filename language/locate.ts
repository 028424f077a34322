// Where a cursor is in a concept file: which block, and whether it is on a key, a value or a block
// name. Completions and hovers both start here. Works on half-typed, unparseable lines.
import type { Block, BlockKind, ConceptDoc, Position, Range } from './ast';
import { BLOCK_KINDS } from './ast';
import type { Scope } from './schema';

const before = (a: Position, b: Position) => a.line < b.line || (a.line === b.line && a.character < b.character);

/** The block whose body holds `pos`, or undefined at the top level (or on a block's header line). */
export function blockAt(doc: ConceptDoc, pos: Position): { block?: Block; onHeader: boolean } {
  for (const [i, b] of doc.blocks.entries()) {
    const next = doc.blocks[i + 1];
    if (before(pos, b.keywordRange.start)) break;
    // The header runs up to the `{` (or, without one, to the end of the keyword's line).
    const onHeader = b.openRange ? before(pos, b.openRange.end) : pos.line === b.keywordRange.start.line;
    if (onHeader) return { block: b, onHeader: true };
    const end = b.closeRange?.start ?? next?.keywordRange.start;
    if (!end || before(pos, end) || (pos.line === end.line && pos.character === end.character)) return { block: b, onHeader: false };
  }
  return { onHeader: false };
}

export type Place =
  | { kind: 'key'; scope: Scope; block?: Block; prefix: string; range: Range }
  | { kind: 'value'; scope: Scope; block?: Block; key: string; prefix: string; range: Range }
  | { kind: 'blockName'; blockKind: BlockKind; prefix: string; range: Range }
  | { kind: 'none' };

/** Whether the end of `lineStart` is inside a comment (a `#` outside any string). */
function inComment(lineStart: string): boolean {
  let inString = false;
  for (let i = 0; i < lineStart.length; i++) {
    const c = lineStart[i];
    if (inString && c === '\\') i++;
    else if (c === '"') inString = !inString;
    else if (c === '#' && !inString) return true;
  }
  return false;
}

/** What is being typed at `pos`, from the text of its line up to the cursor. */
export function placeAt(doc: ConceptDoc, lineText: string, pos: Position): Place {
  const upTo = lineText.slice(0, pos.character);
  if (inComment(upTo)) return { kind: 'none' };
  const { block, onHeader } = blockAt(doc, pos);
  const scope: Scope = block && !onHeader ? block.kind : 'file';
  const afterBrace = upTo.replace(/^.*[{}]/, (m) => ' '.repeat(m.length)); // `train { ste|` counts as a key
  // (the `!` below read groups that are not optional in their pattern)
  let m = /^(\s*)([\p{L}_][\p{L}\p{N}_-]*)?$/u.exec(afterBrace);
  if (m) {
    const start = m[1]!.length;
    return { kind: 'key', scope: onHeader ? 'file' : scope, block: onHeader ? undefined : block, prefix: m[2] ?? '', range: { start: { line: pos.line, character: start }, end: pos } };
  }
  m = /^\s*(concept|generate|train)\s+([\p{L}\p{N}_-]*)$/u.exec(afterBrace);
  if (m && (BLOCK_KINDS as readonly string[]).includes(m[1]!) && scope === 'file') {
    const prefix = m[2]!;
    const start = pos.character - prefix.length;
    return { kind: 'blockName', blockKind: m[1] as BlockKind, prefix, range: { start: { line: pos.line, character: start }, end: pos } };
  }
  m = /^(\s*)([\p{L}_][\p{L}\p{N}_-]*)(\s+)(.*)$/u.exec(afterBrace);
  const [, indent = '', key = '', gap = '', rest = ''] = m ?? [];
  if (m && !rest.includes('{')) {
    const start = indent.length + key.length + gap.length;
    return { kind: 'value', scope, block, key, prefix: rest, range: { start: { line: pos.line, character: start }, end: pos } };
  }
  return { kind: 'none' };
}

/** The word (identifier-like run) under `pos` on its line, with its range. */
export function wordAt(lineText: string, pos: Position): { word: string; range: Range } | undefined {
  const re = /[\p{L}\p{N}_-]+/gu;
  for (const m of lineText.matchAll(re)) {
    const s = m.index ?? 0;
    const e = s + m[0].length;
    if (pos.character >= s && pos.character <= e) return { word: m[0], range: { start: { line: pos.line, character: s }, end: { line: pos.line, character: e } } };
  }
  return undefined;
}

