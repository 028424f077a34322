// One queue for the device: jobs start one at a time in order, a second training of the same run is
// refused with who holds it, and leaving the queue (done, failed, given up) starts the next.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobQueue } from '../../extension/jobQueue';

const settled = async <T>(p: Promise<T>) => Promise.race([p.then((v) => ({ v })), new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);

test('jobs run one at a time in the order they joined; generation waits behind training', async () => {
  let changes = 0;
  const q = new JobQueue(() => changes++);
  const train = q.join({ title: 'Training a', run: '/a/runs' });
  const gen = q.join({ title: 'Generating "portrait"' });
  assert.deepEqual(await settled(train.turn), { v: true });
  assert.equal(await settled(gen.turn), 'pending');
  assert.deepEqual(gen.ahead.map((j) => j.title), ['Training a']);
  assert.equal(q.stateOf('/a/runs'), 'running');
  train.leave();
  assert.deepEqual(await settled(gen.turn), { v: true });
  assert.equal(q.stateOf('/a/runs'), undefined);
  gen.leave();
  assert.deepEqual(q.jobs(), []);
  assert.equal(changes, 4);
});

test('a second training of the same run is refused, naming the one that holds it; another run queues', async () => {
  const q = new JobQueue();
  const first = q.join({ title: 'Training a', run: '/a/runs' });
  assert.match(q.refusal({ title: 'Training a', run: '/a/runs' })!, /^Training a is already running on this run \(\/a\/runs\); cancel it first/);
  assert.throws(() => q.join({ title: 'Training a', run: '/a/runs' }), /already running/);
  assert.equal(q.refusal({ title: 'Training b', run: '/b/runs' }), undefined);
  const b = q.join({ title: 'Training b', run: '/b/runs' });
  assert.match(q.refusal({ title: 'Training b', run: '/b/runs' })!, /already waiting to run/);
  assert.equal(q.stateOf('/b/runs'), 'queued');
  first.leave();
  assert.deepEqual(await settled(b.turn), { v: true });
});

test('a waiting job that is withdrawn or leaves gets no turn and does not hold up the rest', async () => {
  const q = new JobQueue();
  const running = q.join({ title: 'Generating' });
  const waiting = q.join({ title: 'Training a', run: '/a/runs' });
  const after = q.join({ title: 'Generating again' });
  assert.equal(q.withdraw('/a/runs'), true);
  assert.deepEqual(await settled(waiting.turn), { v: false });
  assert.equal(q.withdraw('/a/runs'), false);
  waiting.leave(); // leaving twice is harmless
  running.leave();
  assert.deepEqual(await settled(after.turn), { v: true });
  assert.equal(q.withdraw('/x'), false);
});

test('the running training is not withdrawn (it is cancelled through its job instead)', () => {
  const q = new JobQueue();
  q.join({ title: 'Training a', run: '/a/runs' });
  assert.equal(q.withdraw('/a/runs'), false);
  assert.equal(q.stateOf('/a/runs'), 'running');
});
