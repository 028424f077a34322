// Parsing and validating a safetensors header. Everything in a header is untrusted: every field is
// type-checked, every size is checked against the file before anything is allocated or read, and
// every error names the file and, where there is one, the tensor.

import { DTYPES, elementCount, isStDType, type StDType } from './safetensors-dtypes';

export interface StEntry {
  name: string;
  dtype: StDType;
  shape: number[];
  /** Byte offsets from the start of the data section (the first byte after the header). */
  begin: number;
  end: number;
}

export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    problem: string,
    readonly tensor?: string,
  ) {
    super(`${file}: ${tensor === undefined ? '' : `tensor "${tensor}": `}${problem}`);
    this.name = 'SafetensorsError';
  }
}

/** Headers beyond this are refused: real ones are well under 10 MB (the reference refuses > 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * The header length from the first 8 bytes, checked against the file size before it is used to
 * allocate anything.
 */
export function checkHeaderLength(file: string, prefix: Uint8Array, fileSize: number): number {
  if (fileSize < 8 || prefix.length < 8) throw new SafetensorsError(file, `file is ${fileSize} bytes, too short for the 8-byte header length`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n < 2n) throw new SafetensorsError(file, `header length ${n} is too small for a JSON object`);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(file, `header length ${n} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file, or corrupt)`);
  if (n > BigInt(fileSize - 8)) throw new SafetensorsError(file, `header length ${n} bytes runs past the end of the ${fileSize}-byte file (truncated or not a safetensors file)`);
  return Number(n);
}

/**
 * Parses and validates the header JSON: an object of tensor entries plus an optional
 * `__metadata__` object of strings. `dataBytes` is the size of the data section.
 */
export function parseHeader(
  file: string,
  json: string,
  dataBytes: number,
): { tensors: Map<string, StEntry>; metadata: Record<string, string> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new SafetensorsError(file, `header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SafetensorsError(file, `header must be a JSON object, got ${Array.isArray(parsed) ? 'an array' : typeof parsed}`);
  }
  const dup = firstDuplicateKey(json);
  if (dup !== undefined) throw new SafetensorsError(file, 'appears twice in the header', dup);

  const metadata: Record<string, string> = {};
  const tensors = new Map<string, StEntry>();
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SafetensorsError(file, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new SafetensorsError(file, `__metadata__ value for "${k}" must be a string, got ${typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    tensors.set(name, parseEntry(file, name, value, dataBytes));
  }
  checkNoOverlap(file, [...tensors.values()]);
  return { tensors, metadata };
}

function parseEntry(file: string, name: string, value: unknown, dataBytes: number): StEntry {
  const fail = (problem: string): never => {
    throw new SafetensorsError(file, problem, name);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('entry must be an object with dtype, shape and data_offsets');
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isStDType(dtype)) fail(`unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPES).join(', ')})`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) fail(`data_offsets must be two non-negative integers, got ${JSON.stringify(offsets)}`);
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataBytes) fail(`data_offsets [${begin}, ${end}] run past the end of the data section (${dataBytes} bytes): file truncated or header lying`);
  const dt = dtype as StDType;
  const count = elementCount(shape as number[]);
  const expected = count * DTYPES[dt].itemSize;
  if (!Number.isSafeInteger(expected) || expected !== end - begin) {
    fail(`${dt} shape [${(shape as number[]).join(', ')}] needs ${expected} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, dtype: dt, shape: [...(shape as number[])], begin, end };
}

/** Tensors may not share bytes (the reference also refuses that); gaps are tolerated. */
function checkNoOverlap(file: string, entries: StEntry[]): void {
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.begin < prev.end) {
      throw new SafetensorsError(file, `data_offsets [${cur.begin}, ${cur.end}] overlap those of "${prev.name}" [${prev.begin}, ${prev.end}]`, cur.name);
    }
  }
}

/**
 * JSON.parse keeps the last of duplicate keys silently; the reference rejects them. This scans the
 * top-level object of already-valid JSON and returns the first key that occurs twice.
 */
function firstDuplicateKey(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      const start = i;
      for (i++; json[i] !== '"'; i++) if (json[i] === '\\') i++;
      if (depth !== 1) continue;
      let j = i + 1;
      while (/\s/.test(json[j] ?? '')) j++;
      if (json[j] !== ':') continue; // a string value, not a key
      const key = JSON.parse(json.slice(start, i + 1)) as string;
      if (seen.has(key)) return key;
      seen.add(key);
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return undefined;
}
