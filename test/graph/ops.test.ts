// Every primitive, emitted to ONNX and run in ONNX Runtime (float32), against the float64
// reference evaluator (written from the ONNX operator definitions). One line per op.
import { test } from 'node:test';
import { Graph } from '../../sidecar/graph/graph';
import * as op from '../../sidecar/graph/ops';
import { type Arr, evaluate } from './reference-eval';
import type { Value } from '../../sidecar/graph/types';
import { assertClose, randArr, rng, runOrt } from './helpers';

type Case = [name: string, shapes: number[][], build: (...xs: Value[]) => Value, positive?: boolean];
const cases: Case[] = [
  ['Add broadcast', [[2, 3, 4], [3, 1]], (a, b) => op.Add(a, b)],
  ['Sub broadcast', [[2, 1, 4], [3, 4]], (a, b) => op.Sub(a, b)],
  ['Mul scalar', [[5, 3]], (a) => op.Mul(a, 2.5)],
  ['Div', [[4, 3], [4, 3]], (a, b) => op.Div(a, op.Add(op.Mul(b, b), 1))],
  ['Pow', [[4, 3]], (a) => op.Pow(a, 3)],
  ['Min/Max', [[4, 3], [4, 3]], (a, b) => op.Add(op.Min(a, b), op.Max(a, 0.5))],
  ['Neg/Exp', [[6]], (a) => op.Exp(op.Neg(a))],
  ['Log/Sqrt', [[6]], (a) => op.Log(op.Sqrt(a)), true],
  ['Tanh/Erf/Sigmoid', [[7]], (a) => op.Add(op.Tanh(a), op.Add(op.Erf(a), op.Sigmoid(a)))],
  ['Sin/Cos', [[7]], (a) => op.Mul(op.Sin(a), op.Cos(a))],
  ['MatMul batched', [[2, 3, 4, 5], [3, 5, 6]], (a, b) => op.MatMul(a, b)],
  ['Conv 3x3 pad 1', [[2, 3, 6, 5], [4, 3, 3, 3], [4]], (x, w, b) => op.Conv(x, w, b, { pads: [1, 1, 1, 1] })],
  ['Conv stride 2 asym pad', [[1, 4, 7, 8], [6, 4, 3, 3]], (x, w) => op.Conv(x, w, undefined, { strides: [2, 2], pads: [0, 0, 1, 1] })],
  ['Conv grouped dilated', [[2, 4, 7, 7], [6, 2, 3, 3]], (x, w) => op.Conv(x, w, undefined, { group: 2, dilations: [2, 1], pads: [1, 1, 1, 1] })],
  ['ConvTranspose stride 2', [[2, 4, 3, 4], [4, 3, 3, 3]], (x, w) => op.ConvTranspose(x, w, { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 0] })],
  ['ConvTranspose grouped', [[1, 4, 3, 3], [4, 2, 2, 2]], (x, w) => op.ConvTranspose(x, w, { group: 2 })],
  ['ReduceSum keepdims', [[2, 3, 4]], (a) => op.ReduceSum(a, [0, 2])],
  ['ReduceMean no keepdims', [[2, 3, 4]], (a) => op.ReduceMean(a, [-1], false)],
  ['InstanceNormalization', [[2, 3, 4, 5], [3], [3]], (x, s, b) => op.InstanceNormalization(op.Add(x, 3), s, b, 1e-5)],
  ['Softmax', [[3, 5]], (a) => op.Softmax(op.Mul(a, 3), -1)],
  ['LogSoftmax', [[3, 5]], (a) => op.LogSoftmax(op.Mul(a, 3), 0)],
  ['Reshape/Transpose', [[2, 3, 4]], (a) => op.Transpose(op.Reshape(a, [0, 2, -1]), [2, 0, 1])],
  ['Expand', [[3, 1]], (a) => op.Expand(a, [2, 3, 4])],
  ['Resize', [[2, 3, 2]], (a) => op.Resize(a, [1, 3, 2])],
  ['Concat', [[2, 3], [2, 2]], (a, b) => op.Concat([a, b, a], 1)],
  ['Slice steps', [[5, 6]], (a) => op.Slice(a, [1, -1], [5, 0], [0, 1], [2, -2])],
  ['Pad', [[2, 3]], (a) => op.Pad(a, [1, 0, 0, 2])],
];

for (const [name, shapes, build, positive] of cases) {
  test(`op ${name}: ORT float32 matches float64 reference`, async () => {
    const g = new Graph();
    const r = rng(name.length * 7919);
    const ins = shapes.map((s, i) => g.input(`x${i}`, 'float32', s));
    const y = build(...ins);
    g.output(y, 'y');
    const feeds: Record<string, Arr> = {};
    shapes.forEach((s, i) => {
      const a = randArr(s, r);
      if (positive) a.data = a.data.map((v) => Math.abs(v) + 0.1);
      feeds[`x${i}`] = a;
    });
    const [ref] = evaluate([y], feeds);
    const out = await runOrt(g, feeds);
    assertClose(out.y, ref, 1e-5, 1e-5, name);
  });
}

test('op Gather and ScatterND add (duplicates accumulate)', async () => {
  const g = new Graph();
  const table = g.input('table', 'float32', [5, 3]);
  const ids = g.input('ids', 'int64', [2, 3]);
  const upd = g.input('upd', 'float32', [2, 3, 3]);
  const gathered = op.Gather(table, ids, 0);
  const scattered = op.ScatterNDAdd(table, op.Reshape(ids, [2, 3, 1]), upd);
  g.output(gathered, 'gathered');
  g.output(scattered, 'scattered');
  const r = rng(3);
  const feeds = { table: randArr([5, 3], r), ids: { shape: [2, 3], data: Float64Array.from([4, 0, 4, 1, 4, 2]) }, upd: randArr([2, 3, 3], r) };
  const [eg, es] = evaluate([gathered, scattered], feeds);
  const out = await runOrt(g, feeds);
  assertClose(out.gathered, eg, 1e-6, 1e-6, 'Gather');
  assertClose(out.scattered, es, 1e-5, 1e-5, 'ScatterND');
  // independent check of the accumulation: row 4 received three updates
  const expectRow4 = [0, 1, 2].map((c) => feeds.table.data[12 + c]! + feeds.upd.data[c]! + feeds.upd.data[6 + c]! + feeds.upd.data[12 + c]!);
  assertClose({ shape: [3], data: es.data.slice(12, 15) }, { shape: [3], data: Float64Array.from(expectRow4) }, 1e-12, 1e-12, 'ScatterND row 4');
});

test('symbolic batch dim flows through Reshape/Expand via the defining input', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 3, 4]);
  const y = op.Expand(op.Reshape(op.ReduceSum(op.Reshape(x, [0, 12]), [1]), [0, 1, 1]), ['batch', 2, 3]);
  g.output(y, 'y');
  for (const b of [1, 3]) {
    const feeds = { x: randArr([b, 3, 4], rng(b)) };
    const out = await runOrt(g, feeds);
    assertClose(out.y, evaluate([y], feeds)[0], 1e-5, 1e-5, `batch ${b}`);
  }
});
