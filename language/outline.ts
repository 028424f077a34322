// The file's shape for the editor: document symbols (outline), folding ranges, and code lenses that
// run the extension's commands. Command ids and arguments are the contract with extension/commands.ts:
//   dreambooth.train [uri], dreambooth.prepareImages [uri], dreambooth.generate [uri, blockName].
import { FoldingRangeKind, SymbolKind, type CodeLens, type DocumentSymbol, type FoldingRange } from 'vscode-languageserver';
import { commandId } from '../protocol/commands';
import type { Block, ConceptDoc, Property } from './ast';
import { DEFAULT_GENERATE_NAME } from './resolve';

export const LENS_COMMANDS = {
  train: commandId('train'),
  generate: commandId('generate'),
  prepareImages: commandId('prepareImages'),
  showPreparedImages: commandId('showPreparedImages'),
  export: commandId('export'),
} as const;

function propertySymbol(p: Property): DocumentSymbol {
  return { name: p.key, detail: p.value?.raw ?? '', kind: SymbolKind.Property, range: p.range, selectionRange: p.keyRange };
}

const BLOCK_SYMBOL: Record<Block['kind'], SymbolKind> = { concept: SymbolKind.Class, train: SymbolKind.Event, generate: SymbolKind.Function };

export function documentSymbols(doc: ConceptDoc): DocumentSymbol[] {
  const items: DocumentSymbol[] = doc.properties.map(propertySymbol);
  for (const b of doc.blocks) {
    items.push({
      name: b.name ? `${b.kind} ${b.name}` : b.kind,
      kind: BLOCK_SYMBOL[b.kind],
      range: b.range,
      selectionRange: b.nameRange ?? b.keywordRange,
      children: b.properties.map(propertySymbol),
    });
  }
  return items.sort((a, b) => a.range.start.line - b.range.start.line);
}

export function foldingRanges(doc: ConceptDoc): FoldingRange[] {
  const out: FoldingRange[] = [];
  for (const b of doc.blocks) {
    const end = b.closeRange?.start.line ?? b.range.end.line;
    // Keep the closing brace visible: fold up to the line before it.
    const last = b.closeRange ? end - 1 : end;
    if (last > b.keywordRange.start.line) out.push({ startLine: b.keywordRange.start.line, endLine: last });
  }
  // Runs of two or more whole-line comments.
  let runStart = -1;
  let prev = -2;
  const flush = () => {
    if (runStart >= 0 && prev > runStart) out.push({ startLine: runStart, endLine: prev, kind: FoldingRangeKind.Comment });
  };
  for (const c of doc.comments) {
    if (c.range.start.character !== 0 && !isOwnLine(doc, c.range.start.line)) continue;
    if (c.range.start.line !== prev + 1) {
      flush();
      runStart = c.range.start.line;
    }
    prev = c.range.start.line;
  }
  flush();
  return out;
}

function isOwnLine(doc: ConceptDoc, line: number): boolean {
  const onLine = (r: { start: { line: number } }) => r.start.line === line;
  return !doc.properties.some((p) => onLine(p.range)) && !doc.blocks.some((b) => onLine(b.keywordRange) || b.properties.some((p) => onLine(p.range)) || (b.closeRange && onLine(b.closeRange)));
}

export function codeLenses(doc: ConceptDoc, uri: string): CodeLens[] {
  const lenses: CodeLens[] = [];
  const concepts = doc.blocks.filter((b) => b.kind === 'concept');
  const train = doc.blocks.find((b) => b.kind === 'train');
  const [firstConcept] = concepts;
  if (firstConcept) {
    const at = (train ?? firstConcept).keywordRange;
    lenses.push({ range: at, command: { title: '$(play) Train', command: LENS_COMMANDS.train, arguments: [uri] } });
    if (train) lenses.push({ range: at, command: { title: 'Export…', command: LENS_COMMANDS.export, arguments: [uri] } });
    lenses.push({ range: firstConcept.keywordRange, command: { title: 'Prepare images', command: LENS_COMMANDS.prepareImages, arguments: [uri] } });
    lenses.push({ range: firstConcept.keywordRange, command: { title: 'Show prepared images', command: LENS_COMMANDS.showPreparedImages, arguments: [uri] } });
  }
  for (const b of doc.blocks) {
    if (b.kind !== 'generate') continue;
    const name = b.name ?? DEFAULT_GENERATE_NAME;
    lenses.push({ range: b.keywordRange, command: { title: `$(sparkle) Generate ${name}`, command: LENS_COMMANDS.generate, arguments: [uri, name] } });
  }
  return lenses;
}
