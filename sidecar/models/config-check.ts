// Reading a diffusers/transformers config.json into a typed config: every check prints what was
// found and what was expected, and names the file, so a user can see at once which side is wrong.

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Entry i of a config's per-block list. The reader checked that every such list has one entry per
 *  block, so a miss is a bug in the model code, named here with the key. */
export function blockEntry<T>(list: readonly T[], i: number, key: string): T {
  const v = list[i];
  if (v === undefined) throw new Error(`config: ${key} has no entry for block ${i} (it has ${list.length})`);
  return v;
}

/** A config being read: the raw object and where it came from (for error messages). */
export class ConfigReader {
  constructor(
    readonly raw: JsonObject,
    readonly source: string,
  ) {}

  private fail(key: string, expected: string, got: Json | undefined): never {
    throw new ConfigError(`${this.source}: "${key}" must be ${expected}, found ${JSON.stringify(got)}`);
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  int(key: string, fallback?: number): number {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) this.fail(key, 'a non-negative integer', v);
    return v;
  }

  num(key: string, fallback?: number): number {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'a number', v);
    return v;
  }

  bool(key: string, fallback?: boolean): boolean {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'boolean') this.fail(key, 'true or false', v);
    return v;
  }

  str<T extends string>(key: string, allowed: readonly T[], fallback?: T): T {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'string' || !allowed.includes(v as T)) this.fail(key, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, v);
    return v as T;
  }

  strList(key: string): string[] {
    const v = this.raw[key];
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) this.fail(key, 'a non-empty list of strings', v);
    return v as string[];
  }

  intList(key: string): number[] {
    const v = this.raw[key];
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x > 0))
      this.fail(key, 'a non-empty list of positive integers', v);
    return v as number[];
  }

  /**
   * The one place where a scalar-or-list field becomes a per-block list (diffusers accepts both for
   * layers_per_block, attention_head_dim, cross_attention_dim, transformer_layers_per_block, ...).
   */
  perBlock<T extends number | boolean>(key: string, blocks: number, kind: 'int' | 'bool', fallback?: T): T[] {
    const v = this.raw[key] ?? fallback;
    const ok = (x: Json | undefined) => (kind === 'bool' ? typeof x === 'boolean' : typeof x === 'number' && Number.isInteger(x) && x > 0);
    if (Array.isArray(v)) {
      if (v.length !== blocks || !v.every(ok))
        this.fail(key, `a ${kind === 'bool' ? 'boolean' : 'positive integer'} or a list of ${blocks} of them (one per block)`, v);
      return v as T[];
    }
    if (!ok(v)) this.fail(key, `a ${kind === 'bool' ? 'boolean' : 'positive integer'} or a list of ${blocks} of them`, v);
    return Array.from({ length: blocks }, () => v as T);
  }

  /** Refuses a feature we do not build (e.g. SDXL's addition_embed_type) with the value found. */
  mustBe(key: string, allowed: Json[], why: string): void {
    const v = this.raw[key] ?? null;
    if (!allowed.some((a) => JSON.stringify(a) === JSON.stringify(v)))
      throw new ConfigError(`${this.source}: "${key}" is ${JSON.stringify(v)}, but only ${allowed.map((a) => JSON.stringify(a)).join(' or ')} is supported (${why})`);
  }

  /** Two fields that must agree, e.g. the lengths of block_out_channels and down_block_types. */
  sameLength(a: string, b: string): void {
    const x = this.raw[a];
    const y = this.raw[b];
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length)
      throw new ConfigError(
        `${this.source}: "${a}" has ${Array.isArray(x) ? x.length : '?'} entries (${JSON.stringify(x)}) but "${b}" has ${Array.isArray(y) ? y.length : '?'} (${JSON.stringify(y)}); they must match`,
      );
  }
}
