// Reverse-mode differentiation over the graph IR: the result is more graph nodes (the backward
// pass), built from the rules table. Walks only the nodes between the targets and `y`,
// accumulates by addition, and sums every gradient back to its input's shape in one place.
import * as op from '../graph/ops';
import type { Shape, Value } from '../graph/types';
import { Recompute } from './checkpoint';
import { type VjpRule, rules } from './rules';

/** d(seed · y)/d(wrt) for each of `wrt`, one per value (a tuple for a tuple); seed defaults to
 *  ones (for a scalar loss: dy/dwrt). Values in `wrt` that y does not depend on get zeros. */
export function grad<const W extends readonly Value[]>(y: Value, wrt: W, seed?: Value): { -readonly [K in keyof W]: Value } {
  const graph = y.graph;
  graph.backwardFrom ??= graph.values.length;
  const targets = new Set(wrt.map((v) => v.id));
  // Nodes on a path wrt → y: ancestors of y (creation order is topological) that depend on a target.
  const ancestors = new Set<number>();
  const stack = [y];
  while (stack.length) {
    const v = stack.pop()!;
    if (!ancestors.has(v.id)) (ancestors.add(v.id), stack.push(...v.inputs));
  }
  const needs = new Set<number>();
  const order: Value[] = [];
  for (const v of graph.values) {
    if (!ancestors.has(v.id)) continue;
    if (targets.has(v.id) || v.inputs.some((x) => needs.has(x.id))) (needs.add(v.id), order.push(v));
  }

  // Contributions are collected per value and summed once, when the value's gradient is needed.
  const grads = new Map<number, Value[]>();
  const total = (x: Value): Value | undefined => {
    const parts = grads.get(x.id);
    if (!parts || parts.length === 1) return parts?.[0];
    const sum = graph.scope(`grad.${x.name}`, () => concatOfPads(parts) ?? parts.reduce((a, b) => op.Add(a, b)));
    grads.set(x.id, [sum]);
    return sum;
  };
  grads.set(y.id, [seed ?? op.Expand(graph.scalar(1, y.dtype), y.shape)]);
  const recompute = new Recompute();
  for (const v of [...order].reverse()) {
    const g = total(v);
    if (!g || v.inputs.length === 0) continue;
    const rule = rules[v.op as keyof typeof rules];
    if ('noGradient' in rule) throw new Error(`autodiff: no gradient for ${v.op} node "${v.name}": ${rule.noGradient}`);
    graph.scope(`grad.${v.name}`, () => {
      const node = v.region === undefined ? v : recompute.node(v, g);
      const thunks = (rule as VjpRule<typeof v.op>)(node, g, v.region === undefined ? v : recompute.output(v));
      v.inputs.forEach((x, k) => {
        if (!needs.has(x.id)) return;
        const t = thunks[k];
        if (!t) throw new Error(`autodiff: ${v.op} node "${v.name}" has no gradient for its input ${k} ("${x.name}")`);
        const gx = sumToShape(t(), x.shape);
        if (v.region !== undefined && x.region !== v.region) recompute.noteOutgoing(gx);
        grads.set(x.id, [...(grads.get(x.id) ?? []), gx]);
      });
    });
  }
  return wrt.map((x) => total(x) ?? op.Expand(graph.scalar(0, x.dtype), x.shape)) as { -readonly [K in keyof W]: Value };
}

/** Gradients of slices that tile one axis (q/k/v split from one projection, attention's query
 *  chunks) arrive as zero-padded pieces; their sum is a Concat of the pieces, one pass instead of
 *  a Pad and an Add per piece. Returns undefined when the parts are not such a tiling. */
function concatOfPads(parts: Value[]): Value | undefined {
  if (!parts.every((p): p is Value<'Pad'> => p.op === 'Pad')) return undefined;
  const padAxis = (p: Value<'Pad'>) => p.shape.map((_, i) => i).filter((i) => p.attrs.pads[i] !== 0 || p.attrs.pads[p.rank + i] !== 0);
  const axes = parts.map(padAxis);
  const ax = axes[0]?.[0];
  if (ax === undefined || !axes.every((a) => a.length === 1 && a[0] === ax)) return undefined;
  const begin = (p: Value<'Pad'>) => p.attrs.pads[ax] ?? 0;
  const sorted = [...parts].sort((a, b) => begin(a) - begin(b));
  let at = 0;
  for (const p of sorted) {
    if (begin(p) !== at) return undefined;
    at += p.input(0).shape[ax] as number;
  }
  return at === parts[0]?.shape[ax] ? op.Concat(sorted.map((p) => p.input(0)), ax) : undefined;
}

/** Sums a broadcast gradient back to `shape`: over extra leading axes and over axes where the
 *  input had size 1. The one place broadcasting is handled. */
export function sumToShape(g: Value, shape: Shape): Value {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes = g.shape.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1));
  const summed = axes.length ? op.ReduceSum(g, axes, true) : g;
  return op.Reshape(summed, shape);
}
