// A pickle reader that builds plain values and runs nothing: globals resolve through the allow-list
// (allowed-globals.ts), REDUCE/NEWOBJ call our own functions for them, persistent ids (torch's
// storages) go to the caller. Every length is checked against the bytes left before anything is
// allocated; the memo is a Map (a hostile index cannot size an array); MARK nesting is capped.
import { OP, REFUSED_OPCODES } from './opcodes';
import { lookupGlobal } from './allowed-globals';
import { PickleError, PyDict, PyGlobal, PyObject, PySet, PyTuple, TorchTensor, describe, type PyValue } from './values';

export interface UnpickleOptions {
  /** Resolves a BINPERSID id (torch: `('storage', type, key, location, numel)`). */
  persistentLoad?: (pid: PyValue) => PyValue;
}

/** Deeper MARK nesting than any checkpoint has (torch.save nests about 4). */
export const MAX_MARK_DEPTH = 1000;
/** Longer integers (LONG1/LONG4) than any checkpoint has: torch.save writes 8-byte ones at most. */
const MAX_LONG_BYTES = 64;

class Cursor {
  pos = 0;
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): number {
    const left = this.bytes.length - this.pos;
    if (n > left) throw new PickleError(`truncated: ${what} needs ${n} bytes at byte ${this.pos}, only ${left} left`, true);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(): number {
    return this.bytes[this.need(1, 'an opcode argument')]!;
  }
  u16(): number {
    return this.view.getUint16(this.need(2, 'a 2-byte argument'), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4, 'a 4-byte argument'), true);
  }
  i32(): number {
    return this.view.getInt32(this.need(4, 'a 4-byte argument'), true);
  }
  f64be(): number {
    return this.view.getFloat64(this.need(8, 'a float'), false);
  }
  /** An 8-byte length, refused (not rounded) beyond what is left. */
  u64len(what: string): number {
    const n = this.view.getBigUint64(this.need(8, `the length of ${what}`), true);
    const left = BigInt(this.bytes.length - this.pos);
    if (n > left) throw new PickleError(`truncated or corrupt: ${what} declares ${n} bytes at byte ${this.pos}, only ${left} left`, true);
    return Number(n);
  }
  take(n: number, what: string): Uint8Array {
    const at = this.need(n, what);
    return this.bytes.subarray(at, at + n);
  }
  /** A newline-terminated ASCII line (GLOBAL's module and name). */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0 || end - this.pos > 1024) throw new PickleError(`truncated or corrupt: GLOBAL name at byte ${this.pos} has no end of line`, end < 0);
    const s = new TextDecoder('latin1').decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function text(bytes: Uint8Array, at: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new PickleError(`a string at byte ${at} is not valid UTF-8`);
  }
}

/** Little-endian two's-complement integer (LONG1/LONG4) as a number when safe, else a bigint. */
function longFrom(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Reads one pickle (up to STOP) from `bytes` and returns its value. */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions = {}): PyValue {
  return unpickleAt(bytes, 0, opts).value;
}

/** Reads the pickle that starts at `start`; `end` is the byte after its STOP (where the next may start). */
export function unpickleAt(bytes: Uint8Array, start: number, opts: UnpickleOptions = {}): { value: PyValue; end: number } {
  const c = new Cursor(bytes);
  c.pos = start;
  // MARK starts a new stack; the one it interrupted waits in `marks` (CPython's metastack).
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();

  const at = () => c.pos;
  // Reads `stack` when called, after its argument (which may pop a MARK and swap `stack`) is evaluated;
  // `stack.push(popMark())` would push onto the array popMark just retired.
  const push = (v: PyValue) => {
    stack.push(v);
  };
  const pop = (): PyValue => {
    if (stack.length === 0) throw new PickleError(`stack underflow at byte ${at()} (corrupt pickle)`);
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) throw new PickleError(`stack underflow at byte ${at()} (corrupt pickle)`);
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = marks.pop();
    if (!prev) throw new PickleError(`no MARK to pop at byte ${at()} (corrupt pickle)`);
    stack = prev;
    return items;
  };
  const put = (i: number) => memo.set(i, top());
  const get = (i: number) => {
    if (!memo.has(i)) throw new PickleError(`memo entry ${i} read at byte ${at()} was never stored (corrupt pickle)`);
    push(memo.get(i)!);
  };
  const setItems = (dict: PyValue, kv: PyValue[]) => {
    if (!(dict instanceof PyDict)) throw new PickleError(`SETITEM(S) on ${describe(dict)} at byte ${at()}, not a dict`);
    if (kv.length % 2) throw new PickleError(`SETITEMS with an odd number of items at byte ${at()}`);
    for (let i = 0; i < kv.length; i += 2) dict.map.set(kv[i]!, kv[i + 1]!);
  };
  const append = (list: PyValue, items: PyValue[]) => {
    // A loop, not push(...items): spreading a long list would overflow the call stack.
    const into = Array.isArray(list) ? list : list instanceof PySet ? list.items : undefined;
    if (into) for (const v of items) into.push(v);
    else throw new PickleError(`APPEND(S)/ADDITEMS on ${describe(list)} at byte ${at()}, not a list or set`);
  };
  const callable = (g: PyValue, how: 'call' | 'newobj'): ((args: PyValue[]) => PyValue) => {
    const fn = g instanceof PyGlobal ? g.spec[how] : undefined;
    if (!fn) throw new PickleError(`${how === 'call' ? 'REDUCE' : 'NEWOBJ'} on ${describe(g)} at byte ${at()}: it cannot be ${how === 'call' ? 'called' : 'instantiated'} here`);
    return fn;
  };
  const tupleArgs = (v: PyValue, op: string): PyValue[] => {
    if (!(v instanceof PyTuple)) throw new PickleError(`${op} arguments at byte ${at()} are ${describe(v)}, not a tuple`);
    return v.items;
  };

  for (;;) {
    const opAt = c.pos;
    if (opAt >= bytes.length) throw new PickleError(`truncated: the pickle ends at byte ${opAt} before its STOP opcode`, true);
    const op = c.u8();
    switch (op) {
      case OP.PROTO: {
        const v = c.u8();
        if (v < 2 || v > 5) throw new PickleError(`unsupported pickle protocol ${v}`);
        break;
      }
      case OP.FRAME:
        c.u64len('a FRAME'); // frames only group opcodes; the bytes are read as they come
        break;
      case OP.STOP:
        if (stack.length !== 1 || marks.length) throw new PickleError(`STOP at byte ${opAt} with ${stack.length} values on the stack (corrupt pickle)`);
        return { value: pop(), end: c.pos };
      case OP.MARK:
        if (marks.length >= MAX_MARK_DEPTH) throw new PickleError(`nesting deeper than ${MAX_MARK_DEPTH} levels at byte ${opAt}: not a checkpoint`);
        marks.push(stack);
        stack = [];
        break;
      case OP.POP:
        if (stack.length) stack.pop();
        else popMark();
        break;
      case OP.POP_MARK:
        popMark();
        break;
      case OP.DUP:
        push(top());
        break;
      case OP.NONE:
        push(null);
        break;
      case OP.NEWTRUE:
        push(true);
        break;
      case OP.NEWFALSE:
        push(false);
        break;
      case OP.BININT:
        push(c.i32());
        break;
      case OP.BININT1:
        push(c.u8());
        break;
      case OP.BININT2:
        push(c.u16());
        break;
      case OP.LONG1:
      case OP.LONG4: {
        const n = op === OP.LONG1 ? c.u8() : c.u32();
        if (n > MAX_LONG_BYTES) throw new PickleError(`a ${n}-byte integer at byte ${opAt}: larger than any checkpoint holds`);
        push(longFrom(c.take(n, 'an integer')));
        break;
      }
      case OP.BINFLOAT:
        push(c.f64be());
        break;
      case OP.SHORT_BINUNICODE:
        push(text(c.take(c.u8(), 'a string'), opAt));
        break;
      case OP.BINUNICODE:
        push(text(c.take(c.u32(), 'a string'), opAt));
        break;
      case OP.BINUNICODE8:
        push(text(c.take(c.u64len('a string'), 'a string'), opAt));
        break;
      case OP.SHORT_BINSTRING:
      case OP.BINSTRING: // Python 2 str: bytes, read as latin-1 text as Python 3 does with encoding='latin1'
        push(new TextDecoder('latin1').decode(c.take(op === OP.SHORT_BINSTRING ? c.u8() : c.u32(), 'a string')));
        break;
      case OP.SHORT_BINBYTES:
        push(c.take(c.u8(), 'bytes').slice());
        break;
      case OP.BINBYTES:
        push(c.take(c.u32(), 'bytes').slice());
        break;
      case OP.BINBYTES8:
      case OP.BYTEARRAY8:
        push(c.take(c.u64len('bytes'), 'bytes').slice());
        break;
      case OP.EMPTY_DICT:
        push(new PyDict());
        break;
      case OP.DICT: {
        const d = new PyDict();
        setItems(d, popMark());
        push(d);
        break;
      }
      case OP.EMPTY_LIST:
        push([]);
        break;
      case OP.LIST:
        push(popMark());
        break;
      case OP.EMPTY_SET:
        push(new PySet());
        break;
      case OP.FROZENSET:
        push(new PySet(popMark()));
        break;
      case OP.EMPTY_TUPLE:
        push(new PyTuple([]));
        break;
      case OP.TUPLE:
        push(new PyTuple(popMark()));
        break;
      case OP.TUPLE1:
        push(new PyTuple([pop()]));
        break;
      case OP.TUPLE2: {
        const b = pop();
        push(new PyTuple([pop(), b]));
        break;
      }
      case OP.TUPLE3: {
        const c3 = pop();
        const b = pop();
        push(new PyTuple([pop(), b, c3]));
        break;
      }
      case OP.APPEND: {
        const v = pop();
        append(top(), [v]);
        break;
      }
      case OP.APPENDS:
      case OP.ADDITEMS: {
        const items = popMark();
        append(top(), items);
        break;
      }
      case OP.SETITEM: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case OP.SETITEMS: {
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case OP.BINPUT:
        put(c.u8());
        break;
      case OP.LONG_BINPUT:
        put(c.u32());
        break;
      case OP.MEMOIZE:
        put(memo.size);
        break;
      case OP.BINGET:
        get(c.u8());
        break;
      case OP.LONG_BINGET:
        get(c.u32());
        break;
      case OP.GLOBAL: {
        const module = c.line();
        push(lookupGlobal(module, c.line()));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError(`STACK_GLOBAL at byte ${opAt} on ${describe(module)} and ${describe(name)}, not two strings`);
        push(lookupGlobal(module, name));
        break;
      }
      case OP.REDUCE: {
        const args = tupleArgs(pop(), 'REDUCE');
        push(callable(pop(), 'call')(args));
        break;
      }
      case OP.NEWOBJ: {
        const args = tupleArgs(pop(), 'NEWOBJ');
        push(callable(pop(), 'newobj')(args));
        break;
      }
      case OP.NEWOBJ_EX: {
        const kwargs = pop();
        const args = tupleArgs(pop(), 'NEWOBJ_EX');
        if (!(kwargs instanceof PyDict) || kwargs.map.size) throw new PickleError(`NEWOBJ_EX with keyword arguments at byte ${opAt} is not supported`);
        push(callable(pop(), 'newobj')(args));
        break;
      }
      case OP.BUILD: {
        // Python would call inst.__setstate__(state) or update inst.__dict__; here state is only
        // recorded on inert objects (and dropped for dicts: an OrderedDict's `_metadata`).
        const state = pop();
        const inst = top();
        if (inst instanceof PyObject) inst.state = state;
        else if (!(inst instanceof PyDict || inst instanceof TorchTensor)) throw new PickleError(`BUILD on ${describe(inst)} at byte ${opAt}: only objects of allowed classes take state`);
        break;
      }
      case OP.BINPERSID: {
        if (!opts.persistentLoad) throw new PickleError(`a persistent id at byte ${opAt}, but this pickle has no storages to refer to`);
        push(opts.persistentLoad(pop()));
        break;
      }
      case 0x69: // INST (protocol 0/1): module and name inline, like GLOBAL; refused, naming a forbidden global first
        lookupGlobal(c.line(), c.line());
        throw new PickleError(`opcode INST at byte ${opAt} is not supported (torch.save never writes it)`);
      default: {
        const name = REFUSED_OPCODES[op];
        throw new PickleError(`${name ? `opcode ${name}` : `unknown opcode 0x${op.toString(16).padStart(2, '0')}`} at byte ${opAt} is not supported (not a torch.save checkpoint, or corrupt)`);
      }
    }
  }
}
