// The only globals a checkpoint pickle may name, after AUTOMATIC1111's restricted unpickler
// (modules/safe.py) plus what newer torch.save writes. Each maps to our own small function that
// builds a plain value; everything else (os.system, builtins.eval, subprocess.Popen, …) is refused
// when the GLOBAL opcode names it, so a REDUCE can never reach it.
import type { StDType } from '../safetensors-dtypes';
import { PickleError, PyDict, PyGlobal, PyObject, PySet, PyTuple, TorchStorage, TorchTensor, asInt, describe, type GlobalSpec, type PyValue } from './values';

function fail(what: string, problem: string): never {
  throw new PickleError(`${what}: ${problem}`);
}

/** Harmless classes (a Lightning callback, numpy scalars) become inert records; A1111 allows them too. */
const inert = (cls: string): GlobalSpec => ({ call: (args) => new PyObject(cls, args), newobj: (args) => new PyObject(cls, args) });

function intTuple(what: string, v: PyValue | undefined, field: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : fail(what, `${field} must be a tuple of integers, got ${v === undefined ? 'nothing' : describe(v)}`);
  return items.map((x) => asInt(x) ?? fail(what, `${field} holds ${describe(x)}, not an integer`));
}

/** torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
function rebuildTensor(args: PyValue[]): TorchTensor {
  const what = 'torch._utils._rebuild_tensor_v2';
  if (args.length < 4) fail(what, `expected at least 4 arguments, got ${args.length}`);
  const storage = args[0]!;
  if (!(storage instanceof TorchStorage)) fail(what, `first argument must be a storage, got ${describe(storage)}`);
  const offset = asInt(args[1]!);
  if (offset === undefined || offset < 0) fail(what, `storage_offset must be a non-negative integer, got ${describe(args[1]!)}`);
  const shape = intTuple(what, args[2], 'size');
  const stride = intTuple(what, args[3], 'stride');
  if (shape.some((d) => d < 0) || stride.some((s) => s < 0)) fail(what, `negative size or stride (${shape}; ${stride})`);
  if (shape.length !== stride.length) fail(what, `size [${shape}] and stride [${stride}] differ in length`);
  return new TorchTensor(storage, offset, shape, stride);
}

/** torch._utils._rebuild_parameter(data, requires_grad, backward_hooks[, state]): the tensor itself. */
function rebuildParameter(args: PyValue[]): PyValue {
  if (!(args[0] instanceof TorchTensor)) fail('torch._utils._rebuild_parameter', `first argument must be a tensor, got ${args[0] === undefined ? 'nothing' : describe(args[0])}`);
  return args[0];
}

function items(what: string, v: PyValue | undefined): PyValue[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple || v instanceof PySet) return v.items;
  return fail(what, `expected a list or tuple, got ${describe(v)}`);
}

function orderedDict(args: PyValue[]): PyDict {
  const d = new PyDict();
  for (const pair of items('collections.OrderedDict', args[0])) {
    const kv = items('collections.OrderedDict', pair);
    if (kv.length !== 2) fail('collections.OrderedDict', `expected (key, value) pairs, got ${describe(pair)}`);
    d.map.set(kv[0]!, kv[1]!);
  }
  return d;
}

/** _codecs.encode(str, 'latin1'): how protocol 2 writes Python 3 bytes (numpy scalars' payloads). */
function codecsEncode(args: PyValue[]): Uint8Array {
  const [text, encoding = 'utf-8'] = args;
  if (typeof text !== 'string' || typeof encoding !== 'string') fail('_codecs.encode', 'expected (str, str) arguments');
  const enc = encoding.toLowerCase().replace(/[-_]/g, '');
  if (enc === 'utf8') return new TextEncoder().encode(text);
  if (enc !== 'latin1' && enc !== 'iso88591') fail('_codecs.encode', `unsupported encoding ${JSON.stringify(encoding)}`);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) fail('_codecs.encode', 'a latin-1 string holds a character above U+00FF');
    out[i] = c;
  }
  return out;
}

const STORAGES: Record<string, StDType> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};
const DTYPE_NAMES = ['float64', 'float32', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'];

/** Keyed `module name`, as the GLOBAL opcode spells it (a dot could not tell module from name). */
const ALLOWED = new Map<string, GlobalSpec>([
  ['collections OrderedDict', { call: orderedDict, newobj: orderedDict }],
  ['torch._utils _rebuild_tensor_v2', { call: rebuildTensor }],
  ['torch._utils _rebuild_parameter', { call: rebuildParameter }],
  ['torch._utils _rebuild_parameter_with_state', { call: rebuildParameter }],
  ...Object.entries(STORAGES).map(([name, dtype]): [string, GlobalSpec] => [`torch ${name}`, { storage: dtype }]),
  ...DTYPE_NAMES.map((name): [string, GlobalSpec] => [`torch ${name}`, {}]),
  ['torch.nn.modules.container ParameterDict', inert('torch.nn.ParameterDict')],
  ['numpy.core.multiarray scalar', inert('numpy scalar')],
  ['numpy._core.multiarray scalar', inert('numpy scalar')],
  ['numpy.core.multiarray _reconstruct', inert('numpy.ndarray')],
  ['numpy._core.multiarray _reconstruct', inert('numpy.ndarray')],
  ['numpy dtype', inert('numpy.dtype')],
  ['numpy ndarray', inert('numpy.ndarray')],
  ['_codecs encode', { call: codecsEncode }],
  ['pytorch_lightning.callbacks model_checkpoint', {}],
  ['pytorch_lightning.callbacks.model_checkpoint ModelCheckpoint', inert('ModelCheckpoint')],
  ['__builtin__ set', { call: (args) => new PySet([...items('set', args[0])]) }],
  ['builtins set', { call: (args) => new PySet([...items('set', args[0])]) }],
]);

/** The allowed global, or a refusal naming it: nothing else a pickle names is ever looked up. */
export function lookupGlobal(module: string, name: string): PyGlobal {
  const spec = ALLOWED.get(`${module} ${name}`);
  if (!spec)
    throw new PickleError(
      `the pickle names the global "${module}.${name}", which a checkpoint never needs; refused. ` +
        'Loading this file with torch.load (without weights_only=True) could run code, so do not open it elsewhere either',
    );
  return new PyGlobal(module, name, spec);
}
