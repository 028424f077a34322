// Hover documentation: every key (type, default, range, meaning), block keywords, enum values, and
// what CLIP makes of a concept's identifier.
import type { ConceptDoc, Position, Range } from './ast';
import { contains } from './ast';
import { identifierInfo, showTokens } from './identifiers';
import { scanImageFolder } from './images';
import { absolutePath } from './resolve';
import { blockAt } from './locate';
import { BLOCKS, keyMarkdown, keySpec, type Scope } from './schema';

export interface HoverResult {
  markdown: string;
  range: Range;
}

/** `fileDir`: the file's folder, to show where a path value points (absent for unsaved files). */
export function hover(doc: ConceptDoc, pos: Position, fileDir?: string): HoverResult | undefined {
  for (const b of doc.blocks) {
    if (contains(b.keywordRange, pos)) return { markdown: `**${b.kind}** block\n\n${BLOCKS[b.kind].doc}`, range: b.keywordRange };
    if (b.kind === 'concept' && b.name && b.nameRange && contains(b.nameRange, pos)) {
      let text: string;
      try {
        const info = identifierInfo(b.name);
        text =
          info.tokens.length === 1
            ? `one CLIP token (#${info.id})${info.common ? ' — a common word: the model already has a meaning for it' : ', rare: a good identifier'}`
            : `${info.tokens.length} CLIP tokens: ${showTokens(info.tokens)}`;
      } catch {
        text = 'CLIP vocabulary not available';
      }
      return { markdown: `**${b.name}**: the identifier of this concept — ${text}.`, range: b.nameRange };
    }
  }
  const { block, onHeader } = blockAt(doc, pos);
  const scope: Scope = block && !onHeader ? block.kind : 'file';
  const props = block && !onHeader ? block.properties : doc.properties;
  for (const p of props) {
    const spec = keySpec(scope, p.key);
    if (!spec) continue;
    if (contains(p.keyRange, pos)) return { markdown: keyMarkdown(scope, spec), range: p.keyRange };
    const v = p.value;
    if (v && contains(v.range, pos) && v.kind === 'ident' && spec.type.kind === 'enum') {
      const d = spec.type.docs[v.value];
      if (d) return { markdown: `**${v.value}** — ${d}`, range: v.range };
    }
    if (v && contains(v.range, pos) && v.kind === 'string' && spec.type.kind === 'path' && fileDir) {
      const abs = absolutePath(v.value, fileDir);
      const scan = spec.type.what === 'folder' ? scanImageFolder(abs) : undefined;
      const what = !scan ? '' : scan.problem ? ` — ${scan.problem}` : ` — ${scan.images.length} image${scan.images.length === 1 ? '' : 's'}`;
      return { markdown: `\`${abs}\`${what}`, range: v.range };
    }
  }
  return undefined;
}
