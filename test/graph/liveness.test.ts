// The liveness walk behind training's memory estimate: bytes alive at once when nodes run in creation
// order and values are freed after their last use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../sidecar/graph/graph';
import { liveness } from '../../sidecar/graph/liveness';
import * as op from '../../sidecar/graph/ops';

const MB = 2 ** 20;

test('a chain holds two values at a time; a value kept for later use stays alive', () => {
  const g = new Graph('chain');
  const x = g.input('x', 'float32', [MB / 4]); // 1 MiB
  const a = op.Sigmoid(x);
  const b = op.Sigmoid(a);
  const c = op.Sigmoid(b);
  g.output(c, 'y');
  const chain = liveness(g.values, [c]);
  assert.equal(chain.peakBytes, 2 * MB, 'input + one activation, then each frees the previous');

  const h = new Graph('skip');
  const x2 = h.input('x', 'float32', [MB / 4]);
  const a2 = op.Sigmoid(x2);
  const b2 = op.Sigmoid(a2);
  const c2 = op.Add(op.Sigmoid(b2), a2); // a2 lives until the end (a skip connection)
  h.output(c2, 'y');
  assert.equal(liveness(h.values, [c2]).peakBytes, 3 * MB, "a2 stays alive beside b2 and its successors");
});

test('frozen weights and what is computed from them alone are not activations; a trainable parameter is', () => {
  const g = new Graph('w');
  const x = g.input('x', 'float32', [256, 1024]); // 1 MiB
  const w = g.param('w', 'float32', [1024, 1024]); // 4 MiB frozen
  const t = g.param('t', 'float32', [1024, 256], { trainable: true }); // 1 MiB
  const y = op.MatMul(op.MatMul(x, op.Transpose(w, [1, 0])), t);
  g.output(y, 'y');
  const l = liveness(g.values, [y]);
  // inputs (x, t) 2 MiB; first MatMul: + 1 MiB out + 4 MiB transient weight = 7 MiB
  assert.equal(l.peakBytes, 7 * MB);
  assert.match(l.peakAt, /MatMul/);
});
