// Test helper: torch.save-format files written by hand, opcode by opcode, so the reader is tested
// against the format itself (and against hostile variants of it) with no Python at test time.
import { writeFileSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';

/** Pickle opcode bytes, spelled out here rather than imported from the code under test. */
export const op = {
  PROTO: 0x80, FRAME: 0x95, STOP: 0x2e, MARK: 0x28, EMPTY_DICT: 0x7d, EMPTY_LIST: 0x5d, EMPTY_TUPLE: 0x29,
  TUPLE: 0x74, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, SETITEM: 0x73, SETITEMS: 0x75, APPEND: 0x61, APPENDS: 0x65,
  POP: 0x30, BINPUT: 0x71, LONG_BINPUT: 0x72, MEMOIZE: 0x94, BINGET: 0x68, LONG_BINGET: 0x6a, GLOBAL: 0x63, STACK_GLOBAL: 0x93,
  REDUCE: 0x52, BUILD: 0x62, BINPERSID: 0x51, NEWOBJ: 0x81, NONE: 0x4e, NEWTRUE: 0x88, NEWFALSE: 0x89,
  BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d, LONG1: 0x8a, BINFLOAT: 0x47, BINUNICODE: 0x58, SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d, INST: 0x69,
} as const;

/** A pickle assembled from opcodes and their arguments. */
export class Pickle {
  private readonly parts: number[] = [];
  raw(...bytes: number[]): this {
    for (const b of bytes) this.parts.push(b);
    return this;
  }
  repeat(byte: number, n: number): this {
    for (let i = 0; i < n; i++) this.parts.push(byte);
    return this;
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  proto(v = 2): this {
    return this.raw(op.PROTO, v);
  }
  u32(n: number): this {
    return this.raw(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return b.length < 256 ? this.raw(op.SHORT_BINUNICODE, b.length).bytes(b) : this.raw(op.BINUNICODE).u32(b.length).bytes(b);
  }
  /** BINUNICODE as protocol 2 writes every string. */
  str2(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.raw(op.BINUNICODE).u32(b.length).bytes(b);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw(op.BININT1, n);
    if (n >= 0 && n < 65536) return this.raw(op.BININT2, n & 0xff, n >> 8);
    if (n >= -(2 ** 31) && n < 2 ** 31) return this.raw(op.BININT).u32(n >>> 0);
    const b: number[] = [];
    let v = BigInt(n);
    for (let i = 0; i < 8; i++, v >>= 8n) b.push(Number(v & 0xffn));
    return this.raw(op.LONG1, 8, ...b);
  }
  global(module: string, name: string): this {
    return this.raw(op.GLOBAL).bytes(new TextEncoder().encode(`${module}\n${name}\n`));
  }
  put(i: number): this {
    return this.raw(op.BINPUT, i);
  }
  get(i: number): this {
    return this.raw(op.BINGET, i);
  }
  /** `(a, b, …)` of ints. */
  intTuple(xs: number[]): this {
    if (xs.length === 0) return this.raw(op.EMPTY_TUPLE);
    this.raw(op.MARK);
    for (const x of xs) this.int(x);
    return this.raw(op.TUPLE);
  }
  stop(): Uint8Array {
    return Uint8Array.from([...this.parts, op.STOP]);
  }
  build(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export type TorchDType = 'Float' | 'Half' | 'BFloat16' | 'Double' | 'Long' | 'Int' | 'Byte';

export interface HandTensor {
  name: string;
  /** Storage key (its record data/<key>); tensors may share one. */
  storage: string;
  dtype: TorchDType;
  /** Element count the persistent id declares for the storage. */
  numel: number;
  shape: number[];
  stride?: number[];
  offset?: number;
  /** Wrap in torch._utils._rebuild_parameter, as an nn.Parameter pickles. */
  parameter?: boolean;
}

/** `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`, as torch.save writes it. */
function writeTensor(p: Pickle, t: HandTensor, legacy: boolean): void {
  const stride = t.stride ?? t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  if (t.parameter) p.global('torch._utils', '_rebuild_parameter').raw(op.MARK);
  p.global('torch._utils', '_rebuild_tensor_v2').raw(op.MARK);
  p.raw(op.MARK).str2('storage').global('torch', `${t.dtype}Storage`).str2(t.storage).str2('cpu').int(t.numel);
  if (legacy) p.raw(op.NONE);
  p.raw(op.TUPLE, op.BINPERSID);
  p.int(t.offset ?? 0).intTuple(t.shape).intTuple(stride).raw(op.NEWFALSE);
  p.global('collections', 'OrderedDict').raw(op.EMPTY_TUPLE, op.REDUCE);
  p.raw(op.TUPLE, op.REDUCE);
  if (t.parameter) p.raw(op.NEWTRUE).global('collections', 'OrderedDict').raw(op.EMPTY_TUPLE, op.REDUCE, op.TUPLE, op.REDUCE);
}

/**
 * The pickle of `{"state_dict": OrderedDict(tensors), "global_step": numpy.int64(step), "epoch": 3}`
 * (or the bare OrderedDict when `topLevel`), with the numpy scalar written the way protocol 2 does.
 */
export function stateDictPickle(tensors: HandTensor[], opts: { topLevel?: boolean; legacy?: boolean } = {}): Uint8Array {
  const p = new Pickle().proto(2);
  if (!opts.topLevel) p.raw(op.EMPTY_DICT, op.MARK).str2('state_dict');
  p.global('collections', 'OrderedDict').raw(op.EMPTY_TUPLE, op.REDUCE, op.MARK);
  for (const t of tensors) {
    p.str2(t.name);
    writeTensor(p, t, !!opts.legacy);
  }
  p.raw(op.SETITEMS);
  if (!opts.topLevel) {
    p.str2('global_step').global('numpy.core.multiarray', 'scalar');
    p.global('numpy', 'dtype').str2('i8').raw(op.NEWFALSE, op.NEWTRUE, op.TUPLE3, op.REDUCE);
    p.raw(op.MARK).int(3).str2('<').raw(op.NONE, op.NONE, op.NONE).int(-1).int(-1).int(0).raw(op.TUPLE, op.BUILD);
    p.global('_codecs', 'encode').str2('\u00f0+\u0007\u0000\u0000\u0000\u0000\u0000').str2('latin1').raw(op.TUPLE2, op.REDUCE, op.TUPLE2, op.REDUCE);
    p.str2('epoch').int(3).raw(op.SETITEMS);
  }
  return p.stop();
}

export interface ZipFileEntry {
  name: string;
  data: Uint8Array;
  /** Deflate it (torch never does). */
  deflate?: boolean;
}

/** A zip as torch.save writes it: stored entries, data 64-byte aligned by padding the local extra field. */
export function zipBytes(entries: ZipFileEntry[], opts: { zip64?: boolean } = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  let pos = 0;
  const push = (b: Uint8Array) => (chunks.push(b), (pos += b.length));
  const central: Uint8Array[] = [];
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const body = e.deflate ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const at = pos;
    let extraLen = 0;
    const bare = pos + 30 + name.length;
    if (!e.deflate && bare % 64) extraLen = 64 - (bare % 64) < 4 ? 64 - (bare % 64) + 64 : 64 - (bare % 64);
    const local = new DataView(new ArrayBuffer(30 + name.length + extraLen));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(8, e.deflate ? 8 : 0, true);
    local.setUint32(14, crc32(e.data), true);
    local.setUint32(18, body.length, true);
    local.setUint32(22, e.data.length, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, extraLen, true);
    new Uint8Array(local.buffer).set(name, 30);
    if (extraLen) {
      local.setUint16(30 + name.length, 0x4246, true); // "FB": torch's padding field
      local.setUint16(32 + name.length, extraLen - 4, true);
    }
    push(new Uint8Array(local.buffer));
    push(body);
    const z64 = opts.zip64 ? 28 : 0;
    const c = new DataView(new ArrayBuffer(46 + name.length + z64));
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 45, true);
    c.setUint16(6, 45, true);
    c.setUint16(10, e.deflate ? 8 : 0, true);
    c.setUint32(16, crc32(e.data), true);
    c.setUint32(20, opts.zip64 ? 0xffffffff : body.length, true);
    c.setUint32(24, opts.zip64 ? 0xffffffff : e.data.length, true);
    c.setUint16(28, name.length, true);
    c.setUint16(30, z64, true);
    c.setUint32(42, opts.zip64 ? 0xffffffff : at, true);
    new Uint8Array(c.buffer).set(name, 46);
    if (opts.zip64) {
      const x = 46 + name.length;
      c.setUint16(x, 1, true);
      c.setUint16(x + 2, 24, true);
      c.setBigUint64(x + 4, BigInt(e.data.length), true);
      c.setBigUint64(x + 12, BigInt(body.length), true);
      c.setBigUint64(x + 20, BigInt(at), true);
    }
    central.push(new Uint8Array(c.buffer));
  }
  const cdAt = pos;
  for (const c of central) push(c);
  const cdSize = pos - cdAt;
  if (opts.zip64) {
    const z = new DataView(new ArrayBuffer(56 + 20));
    const recAt = pos;
    z.setUint32(0, 0x06064b50, true);
    z.setBigUint64(4, 44n, true);
    z.setUint16(12, 45, true);
    z.setUint16(14, 45, true);
    z.setBigUint64(24, BigInt(entries.length), true);
    z.setBigUint64(32, BigInt(entries.length), true);
    z.setBigUint64(40, BigInt(cdSize), true);
    z.setBigUint64(48, BigInt(cdAt), true);
    z.setUint32(56, 0x07064b50, true);
    z.setBigUint64(64, BigInt(recAt), true);
    z.setUint32(72, 1, true);
    push(new Uint8Array(z.buffer));
  }
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, opts.zip64 ? 0xffff : entries.length, true);
  end.setUint16(10, opts.zip64 ? 0xffff : entries.length, true);
  end.setUint32(12, opts.zip64 ? 0xffffffff : cdSize, true);
  end.setUint32(16, opts.zip64 ? 0xffffffff : cdAt, true);
  push(new Uint8Array(end.buffer));
  const out = new Uint8Array(pos);
  let o = 0;
  for (const c of chunks) (out.set(c, o), (o += c.length));
  return out;
}

/** A torch.save zip: `archive/data.pkl`, the storages, `version` and `byteorder`. */
export function torchZip(pickle: Uint8Array, storages: Record<string, Uint8Array>, opts: { zip64?: boolean; deflate?: string[]; byteorder?: string } = {}): Uint8Array {
  const entries: ZipFileEntry[] = [{ name: 'archive/data.pkl', data: pickle, deflate: opts.deflate?.includes('data.pkl') }];
  entries.push({ name: 'archive/byteorder', data: new TextEncoder().encode(opts.byteorder ?? 'little') });
  for (const [key, data] of Object.entries(storages)) entries.push({ name: `archive/data/${key}`, data, deflate: opts.deflate?.includes(key) });
  entries.push({ name: 'archive/version', data: new TextEncoder().encode('3\n') });
  return zipBytes(entries, opts);
}

/** The legacy (pre-1.6) format: magic, protocol version, system info, the object, the key list, then the storages. */
export function torchLegacy(tensors: HandTensor[], storages: Record<string, Uint8Array>, itemSize: Record<string, number>): Uint8Array {
  const magic = new Pickle().proto(2).raw(op.LONG1, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).stop();
  const version = new Pickle().proto(2).int(1001).stop();
  const sys = new Pickle().proto(2).raw(op.EMPTY_DICT, op.MARK).str2('protocol_version').int(1001).str2('little_endian').raw(op.NEWTRUE).raw(op.SETITEMS).stop();
  const obj = stateDictPickle(tensors, { legacy: true });
  const keys = new Pickle().proto(2).raw(op.EMPTY_LIST, op.MARK);
  for (const k of Object.keys(storages)) keys.str2(k);
  const parts = [magic, version, sys, obj, keys.raw(op.APPENDS).stop()];
  for (const [k, data] of Object.entries(storages)) {
    const n = new DataView(new ArrayBuffer(8));
    n.setBigInt64(0, BigInt(data.length / itemSize[k]!), true);
    parts.push(new Uint8Array(n.buffer), data);
  }
  const out = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const b of parts) (out.set(b, o), (o += b.length));
  return out;
}

export function writeBytes(path: string, data: Uint8Array): string {
  writeFileSync(path, data);
  return path;
}

/** Little-endian bytes of a typed array. */
export const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
