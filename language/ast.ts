// The concept file's syntax tree and diagnostics. Positions are LSP-shaped (0-based line, UTF-16
// character) so the language server passes them through unchanged and the CLI adds 1 to each.

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  range: Range;
  severity: Severity;
  message: string;
  /** Stable identifier of the check, e.g. 'unknown-key', 'syntax'. */
  code: string;
  /** The obvious repair (did-you-mean, add the missing keys, rename), offered as a quick fix. */
  fix?: Fix;
}

export interface TextEdit {
  range: Range;
  newText: string;
}
export interface Fix {
  title: string;
  edits: TextEdit[];
}

/** A fix that replaces one range. */
export function replaceFix(range: Range, newText: string, title = `Change to ${newText}`): Fix {
  return { title, edits: [{ range, newText }] };
}

export type Value =
  | { kind: 'string'; value: string; raw: string; range: Range; terminated: boolean }
  | { kind: 'number'; value: number; raw: string; range: Range }
  | { kind: 'size'; width: number; height: number; raw: string; range: Range }
  | { kind: 'boolean'; value: boolean; raw: string; range: Range }
  | { kind: 'ident'; value: string; raw: string; range: Range };

export interface Property {
  key: string;
  keyRange: Range;
  /** Absent when the line has a key but no value (a syntax error already reported). */
  value?: Value;
  /** Key through value (or key alone). */
  range: Range;
}

export const BLOCK_KINDS = ['concept', 'train', 'generate'] as const;
export type BlockKind = (typeof BLOCK_KINDS)[number];

export interface Block {
  kind: BlockKind;
  keywordRange: Range;
  name?: string;
  nameRange?: Range;
  /** The `{`, absent when it is missing (reported). */
  openRange?: Range;
  /** The `}`, absent when the block is not closed (reported). */
  closeRange?: Range;
  /** Keyword through `}` (or through the last thing that belongs to the block). */
  range: Range;
  properties: Property[];
}

export interface Comment {
  text: string; // including the leading '#'
  range: Range;
}

export interface ConceptDoc {
  /** Top-level `key value` lines (model, output). */
  properties: Property[];
  blocks: Block[];
  comments: Comment[];
  /** True when the parser reported any syntax error (the formatter refuses to touch such a file). */
  hasSyntaxErrors: boolean;
}

export function range(sl: number, sc: number, el: number, ec: number): Range {
  return { start: { line: sl, character: sc }, end: { line: el, character: ec } };
}

export function contains(r: Range, p: Position): boolean {
  const afterStart = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const beforeEnd = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return afterStart && beforeEnd;
}

/** The text of a value as it should appear in messages. */
export function describeValue(v: Value): string {
  switch (v.kind) {
    case 'string':
      return `the string ${v.raw}`;
    case 'number':
      return `the number ${v.raw}`;
    case 'size':
      return `the size ${v.raw}`;
    case 'boolean':
      return `the boolean ${v.raw}`;
    case 'ident':
      return `"${v.raw}"`;
  }
}
