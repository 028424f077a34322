// Reading a concept file from disk, safely (any bytes, any path), and loading it for the jobs that
// consume it (training, `dreambooth generate FILE`): refuse it when it has errors, else resolve it.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { range, type ConceptDoc, type Diagnostic } from './ast';
import { resolveConcept, type ResolvedConcept } from './resolve';
import { byPosition } from './parse';
import { checkConceptText } from './validate';

/** Concept files are a few hundred bytes; anything this big is not one. */
export const MAX_CONCEPT_FILE_BYTES = 4 * 1024 * 1024;

export interface ReadResult {
  /** The decoded text, when the file could be read and is text. */
  text?: string;
  /** Problems with the file itself (missing, folder, binary, bad UTF-8, too big). */
  diagnostics: Diagnostic[];
}

const at0 = range(0, 0, 0, 0);
const fileError = (message: string, code = 'file'): Diagnostic => ({ range: at0, severity: 'error', message, code });

/** Position (line, UTF-16 column) of byte offset `n` of `bytes`, decoding what comes before it. */
function positionOfByte(bytes: Uint8Array, n: number) {
  const before = new TextDecoder('utf-8').decode(bytes.subarray(0, n));
  const lines = before.split(/\r\n|\r|\n/);
  return { line: lines.length - 1, character: lines.at(-1)?.length ?? 0 }; // (split returns at least one line)
}

export function readConceptFile(path: string): ReadResult {
  let bytes: Uint8Array;
  try {
    const st = statSync(path);
    if (st.isDirectory()) return { diagnostics: [fileError('is a folder, not a concept file')] };
    if (!st.isFile()) return { diagnostics: [fileError('is not a regular file')] };
    if (st.size > MAX_CONCEPT_FILE_BYTES) return { diagnostics: [fileError(`is ${(st.size / 1048576).toFixed(1)} MiB; a concept file is a small text file (at most ${MAX_CONCEPT_FILE_BYTES / 1048576} MiB)`)] };
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'ENOTDIR' ? 'a part of the path is not a folder' : ((e as Error).message ?? String(e));
    return { diagnostics: [fileError(`cannot read: ${why}`)] };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const p = positionOfByte(bytes, nul);
    return { diagnostics: [{ range: range(p.line, p.character, p.line, p.character + 1), severity: 'error', code: 'file', message: 'binary file (it contains NUL bytes), not a concept file' }] };
  }
  const diagnostics: Diagnostic[] = [];
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Find the first bad byte for the message, then carry on with replacement characters.
    text = new TextDecoder('utf-8').decode(bytes);
    let lo = 0;
    let hi = bytes.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid));
        lo = mid;
      } catch {
        hi = mid;
      }
    }
    // Step back over a partial character so the reported byte starts the bad sequence.
    let bad = lo;
    while (bad > 0 && (bytes[bad]! & 0xc0) === 0x80) bad--;
    const p = positionOfByte(bytes, bad);
    diagnostics.push({ range: range(p.line, p.character, p.line, p.character + 1), severity: 'error', code: 'encoding', message: `invalid UTF-8 at byte ${bad}: save the file as UTF-8` });
  }
  // A byte-order mark is not text: editors hide it, so columns must not count it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text, diagnostics };
}

export interface CheckedFile {
  path: string;
  doc?: ConceptDoc;
  diagnostics: Diagnostic[];
}

/** Reads, parses and validates one concept file; never throws. */
export function checkConceptFile(path: string): CheckedFile {
  const abs = resolve(path);
  const read = readConceptFile(abs);
  if (read.text === undefined) return { path, diagnostics: read.diagnostics };
  const { doc, diagnostics } = checkConceptText(read.text, { fileDir: dirname(abs) });
  return { path, doc, diagnostics: [...read.diagnostics, ...diagnostics].sort(byPosition) };
}

export class ConceptFileError extends Error {
  constructor(
    readonly path: string,
    readonly diagnostics: Diagnostic[],
  ) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(`${path} has ${errors.length} error(s):\n${errors.map((d) => formatDiagnostic(path, d)).join('\n')}`);
    this.name = 'ConceptFileError';
  }
}

/** `file:line:col: severity: message`, 1-based, as compilers print them. */
export function formatDiagnostic(path: string, d: Diagnostic): string {
  return `${path}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity}: ${d.message}`;
}

/** The resolved configuration of a concept file; throws ConceptFileError listing every error. */
export function loadConcept(path: string): { concept: ResolvedConcept; diagnostics: Diagnostic[] } {
  const checked = checkConceptFile(path);
  if (!checked.doc || checked.diagnostics.some((d) => d.severity === 'error')) throw new ConceptFileError(path, checked.diagnostics);
  const abs = resolve(path);
  return { concept: resolveConcept(checked.doc, dirname(abs)), diagnostics: checked.diagnostics };
}
