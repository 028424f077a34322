import assert from 'node:assert/strict';
import { test } from 'node:test';
import { numberFlag, oneConceptFile, parseArgs, providerFlag } from '../../sidecar/cli/args';
import { UsageError } from '../../sidecar/cli/usage';

const spec = { values: ['steps', 'out'], switches: ['resume'], help: 'HELP TEXT' } as const;

test('values (both forms), switches and positional arguments', () => {
  const a = parseArgs(['file.dreambooth', '--steps', '12', '--out=/tmp/x=y', '--resume'], spec);
  assert.deepEqual(a.flags, { steps: '12', out: '/tmp/x=y' });
  assert.deepEqual([...a.on], ['resume']);
  assert.deepEqual(a.positional, ['file.dreambooth']);
});

test('mistakes are usage errors that say what is wrong', () => {
  assert.throws(() => parseArgs(['--bogus'], spec), (e: Error) => e instanceof UsageError && /unknown option "--bogus"/.test(e.message) && e.message.includes('HELP TEXT'));
  assert.throws(() => parseArgs(['--steps'], spec), /--steps needs a value/);
  assert.throws(() => parseArgs(['--resume=yes'], spec), /--resume takes no value/);
  assert.throws(() => numberFlag('1.5', 'steps', 0, { integer: true }), /--steps must be an integer, got "1.5"/);
  assert.throws(() => numberFlag('0', 'steps', 0, { integer: true, min: 1 }), /≥ 1/);
  assert.throws(() => numberFlag(' ', 'guidance', 0, { integer: false }), /a number/);
  assert.throws(() => providerFlag('tpu'), /--provider must be one of cpu, webgpu, cuda/);
  assert.throws(() => oneConceptFile(['a', 'b'], 'HELP'), /exactly one concept file/);
});

test('numbers and providers parse', () => {
  assert.equal(numberFlag(undefined, 'x', 7, { integer: true }), 7);
  assert.equal(numberFlag('1e3', 'x', 0, { integer: true }), 1000);
  assert.equal(numberFlag('7.5', 'x', 0, { integer: false }), 7.5);
  assert.deepEqual(providerFlag('webgpu'), ['webgpu']);
  assert.equal(providerFlag(undefined), undefined);
});
