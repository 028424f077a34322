// Renaming a concept's identifier: the block name and every whole-word use in prompts, so switching
// from a weak identifier ("zwx", two CLIP tokens) to a rare single token is one action.
import type { Block, ConceptDoc, Position, Range, TextEdit } from './ast';
import { contains } from './ast';
import { keySpec } from './schema';
import { wordPattern } from './text';

export const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_-]*$/u;

/**
 * Uses of `name` inside prompt strings, case-insensitive, as whole words the way CLIP splits words:
 * not inside a longer run of letters ("zwxy" is not a use, "my-zwx" and "zwx_2" are).
 */
function promptUses(doc: ConceptDoc, name: string): Range[] {
  const re = wordPattern(name, 'giu');
  const out: Range[] = [];
  for (const b of doc.blocks) {
    for (const p of b.properties) {
      const v = p.value;
      if (v?.kind !== 'string' || keySpec(b.kind, p.key)?.type.kind !== 'prompt' || v.range.start.line !== v.range.end.line) continue;
      for (const m of v.raw.matchAll(re)) {
        const start = v.range.start.character + (m.index ?? 0);
        out.push({ start: { line: v.range.start.line, character: start }, end: { line: v.range.start.line, character: start + m[0].length } });
      }
    }
  }
  return out;
}

/** The concept whose identifier is at `pos` (its block name, or a use of it in a prompt), with that range. */
export function identifierAt(doc: ConceptDoc, pos: Position): { block: Block; range: Range } | undefined {
  const concepts = doc.blocks.filter((b): b is Block & { name: string; nameRange: Range } => b.kind === 'concept' && !!b.name && !!b.nameRange);
  for (const b of concepts) if (contains(b.nameRange, pos)) return { block: b, range: b.nameRange };
  for (const b of concepts) {
    const hit = promptUses(doc, b.name).find((r) => contains(r, pos));
    if (hit) return { block: b, range: hit };
  }
  return undefined;
}

/** Edits that rename identifier `from` to `to` in block names and prompts. */
export function renameIdentifier(doc: ConceptDoc, from: string, to: string): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const b of doc.blocks) if (b.kind === 'concept' && b.name === from && b.nameRange) edits.push({ range: b.nameRange, newText: to });
  for (const r of promptUses(doc, from)) edits.push({ range: r, newText: to });
  return edits;
}
