// Hostile pickles: payloads that would create a marker file if a Python unpickler ran them. The
// reader must refuse each, naming the global it was asked for, and the marker must never appear.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readTorchCheckpoint } from '../../sidecar/weights/torch-ckpt';
import { openCheckpoint } from '../../sidecar/weights/checkpoint';
import { unpickle } from '../../sidecar/weights/pickle/reader';
import { Pickle, bytesOf, op, stateDictPickle, torchLegacy, torchZip, writeBytes, type HandTensor } from './torch-writer';
import { tempDir } from './layout-helpers';

const dir = tempDir('hostile');
const MARKER = join(dir, 'pwned');
const touch = `touch ${MARKER}`;
afterEach(() => assert.equal(existsSync(MARKER), false, 'the payload ran'));

const W: HandTensor = { name: 'model.diffusion_model.w', storage: '0', dtype: 'Float', numel: 2, shape: [2] };
const STORAGES = { '0': bytesOf(Float32Array.of(1, 2)) };

/** A state dict whose second value is `payload` (the bytes that push one value), as an attacker would hide it. */
function hidden(payload: (p: Pickle) => Pickle): Uint8Array {
  const good = stateDictPickle([W], { topLevel: true });
  const p = new Pickle().bytes(good.subarray(0, good.length - 2)); // before SETITEMS, STOP
  payload(p.str('model.diffusion_model.x'));
  return p.raw(op.SETITEMS).stop();
}

const cases: [string, string, Uint8Array][] = [
  ["os.system('touch …') as the whole pickle", 'os.system', new Pickle().proto(2).global('os', 'system').str(touch).raw(op.TUPLE1, op.REDUCE).stop()],
  ['a __reduce__ to posix.system hidden after a real tensor', 'posix.system', hidden((p) => p.global('posix', 'system').str(touch).raw(op.TUPLE1, op.REDUCE))],
  ['builtins.exec of Python source', 'builtins.exec', hidden((p) => p.global('builtins', 'exec').str(`open(${JSON.stringify(MARKER)}, 'w')`).raw(op.TUPLE1, op.REDUCE))],
  ['builtins.eval (Python 2 __builtin__)', '__builtin__.eval', hidden((p) => p.global('__builtin__', 'eval').str(`open(${JSON.stringify(MARKER)}, 'w')`).raw(op.TUPLE1, op.REDUCE))],
  ['subprocess.Popen(["touch", …])', 'subprocess.Popen', hidden((p) => p.global('subprocess', 'Popen').raw(op.EMPTY_LIST, op.MARK).str('touch').str(MARKER).raw(op.APPENDS, op.TUPLE1, op.REDUCE))],
  ['an object of a forbidden class via NEWOBJ', 'subprocess.Popen', hidden((p) => p.global('subprocess', 'Popen').raw(op.EMPTY_TUPLE, op.NEWOBJ))],
  ['builtins.getattr to reach os from an allowed module', 'builtins.getattr', hidden((p) => p.global('builtins', 'getattr').global('collections', 'OrderedDict').str('__init__').raw(op.TUPLE2, op.REDUCE))],
  [
    'a global spelled by STACK_GLOBAL from memoised strings',
    'builtins.eval',
    hidden((p) =>
      p
        .str('builtins').raw(op.MEMOIZE, op.POP)
        .str('eval').raw(op.BINPUT, 200, op.POP)
        .get(0).get(200).raw(op.STACK_GLOBAL)
        .str(`open(${JSON.stringify(MARKER)}, 'w')`).raw(op.TUPLE1, op.REDUCE),
    ),
  ],
  [
    'a BUILD/__setstate__ trick on an allowed inert object',
    'posix.system',
    hidden((p) =>
      p
        .global('pytorch_lightning.callbacks.model_checkpoint', 'ModelCheckpoint').raw(op.EMPTY_TUPLE, op.NEWOBJ)
        .raw(op.NONE, op.EMPTY_DICT).str('__setstate__').global('posix', 'system').raw(op.SETITEM, op.TUPLE2, op.BUILD)
        .str(touch).raw(op.BUILD),
    ),
  ],
  ['a storage type that is really os.system', 'os.system', hidden((p) => p.raw(op.MARK).str('storage').global('os', 'system').str('0').str('cpu').int(2).raw(op.TUPLE, op.BINPERSID))],
  ['a protocol-0 INST opcode', 'os.system', hidden((p) => p.raw(op.MARK).str(touch).raw(op.INST).bytes(new TextEncoder().encode('os\nsystem\n')))],
  ['torch.load itself', 'torch.load', hidden((p) => p.global('torch', 'load').str(MARKER).raw(op.TUPLE1, op.REDUCE))],
];

for (const [what, global, pickle] of cases) {
  test(`refused, naming ${global}: ${what}`, async () => {
    const file = writeBytes(join(dir, 'evil.ckpt'), torchZip(pickle, STORAGES));
    await assert.rejects(readTorchCheckpoint(file), (e: Error) => {
      assert.match(e.message, new RegExp(`global "${global.replace(/\./g, '\\.')}".*refused`));
      assert.ok(e.message.startsWith(file), e.message);
      return true;
    });
  });
}

test('the model loader refuses a hostile .ckpt and a hostile legacy-format file the same way', async () => {
  const evil = writeBytes(join(dir, 'model.ckpt'), torchZip(cases[1]![2], STORAGES));
  await assert.rejects(openCheckpoint(evil), /global "posix\.system", which a checkpoint never needs; refused/);
  const legacy = torchLegacy([W], STORAGES, { '0': 4 });
  // Swap the object pickle's tensor for os.system: the legacy reader uses the same restricted reader.
  const i = Buffer.from(legacy).indexOf('torch._utils\n_rebuild_tensor_v2\n');
  const bad = Buffer.concat([legacy.subarray(0, i), Buffer.from('posix\nsystem\n'.padEnd(32, ' ')), legacy.subarray(i + 32)]);
  await assert.rejects(openCheckpoint(writeBytes(join(dir, 'legacy.ckpt'), bad)), /global "posix\.system"/);
});

test('BUILD on an allowed class itself (not an instance) is refused', () => {
  const p = new Pickle().proto(2).global('collections', 'OrderedDict').raw(op.EMPTY_DICT).str('__setstate__').int(1).raw(op.SETITEM, op.BUILD).stop();
  assert.throws(() => unpickle(p), /BUILD on global collections\.OrderedDict at byte \d+: only objects of allowed classes take state/);
});

test('REDUCE on a value that is not an allowed callable is refused', () => {
  const p = new Pickle().proto(2).global('torch', 'FloatStorage').raw(op.EMPTY_TUPLE, op.REDUCE).stop();
  assert.throws(() => unpickle(p), /REDUCE on global torch\.FloatStorage .*cannot be called/);
  const q = new Pickle().proto(2).str('os').raw(op.EMPTY_TUPLE, op.REDUCE).stop();
  assert.throws(() => unpickle(q), /REDUCE on str "os"/);
});
