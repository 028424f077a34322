// Turning the model ONNX Runtime saves after optimising a session into one that can be cached beside
// the staged model (optimized-cache.ts) without a copy of the weights:
//
// - ORT writes every large initializer into one new external-data file — for a UNet, a second copy of
//   the user's 1.7 GB. Each one that is the original model's external initializer (same name, type,
//   shape and length; the caller compares the bytes) is pointed back at the original's location, the
//   hard-linked weight file, so the copy can be deleted. Anything else there (a weight ORT transformed)
//   makes the model uncacheable.
// - ORT writes nodes in its execution order, which puts every per-use Cast of a weight first. Loaded
//   again, that would run them all up front and keep a float32 copy of every weight alive at once. The
//   emitter's order is restored: nodes computed from weights alone go first, where ORT's depth-first
//   ordering reaches each just before its consumer (see onnx/emit.ts, castPerUse).
import { concatBytes, fieldString, lengthDelimited, readFields, repeatedInts, type RawField } from './proto-fields';

/** Field numbers of onnx.proto. */
const MODEL = { graph: 7 };
const GRAPH = { node: 1, initializer: 5, input: 11 };
const NODE = { input: 1, output: 2 };
const TENSOR = { dims: 1, dataType: 2, name: 8, externalData: 13 };
const ENTRY = { key: 1, value: 2 };
const VALUE_INFO = { name: 1 };

export interface ByteRange {
  /** Relative to the model's folder. */
  location: string;
  offset: number;
  length: number;
}

export interface Relinked {
  /** The saved model with its external initializers pointing where the original's do. */
  bytes: Uint8Array;
  /** Every relinked initializer: where ORT wrote it, and the original bytes it must equal. */
  checks: { name: string; saved: ByteRange; original: ByteRange }[];
}

interface Tensor {
  name: string;
  dataType: number;
  dims: number[];
  fields: RawField[];
  /** Raw external_data entries, and where they point. */
  external?: { entries: RawField[]; range: ByteRange };
}

function tensor(payload: Uint8Array): Tensor {
  const fields = readFields(payload);
  const one = (n: number) => fields.find((f) => f.field === n);
  const name = fieldString(one(TENSOR.name) ?? ({} as RawField));
  const entries = fields.filter((f) => f.field === TENSOR.externalData);
  const t: Tensor = { name, dataType: one(TENSOR.dataType)?.value ?? 0, dims: repeatedInts(fields, TENSOR.dims), fields };
  if (!entries.length) return t;
  const kv = new Map(
    entries.map((e) => {
      const f = readFields(e.payload ?? new Uint8Array());
      const get = (n: number) => fieldString(f.find((x) => x.field === n) ?? ({} as RawField));
      return [get(ENTRY.key), get(ENTRY.value)] as const;
    }),
  );
  const location = kv.get('location');
  const length = kv.get('length');
  if (!location || length === undefined) throw new Error(`initializer "${name}": external data without a location or a length`);
  return { ...t, external: { entries, range: { location, offset: Number(kv.get('offset') ?? 0), length: Number(length) } } };
}

function graphOf(model: Uint8Array): { modelFields: RawField[]; graphFields: RawField[] } {
  const modelFields = readFields(model);
  const graph = modelFields.find((f) => f.field === MODEL.graph)?.payload;
  if (!graph) throw new Error('model has no graph');
  return { modelFields, graphFields: readFields(graph) };
}

/**
 * `saved`: the model ORT wrote with its large initializers in `savedLocation`; `original`: the model the
 * session was created from. Throws when an initializer in `savedLocation` is not one of the original's.
 */
export function relinkSavedModel(saved: Uint8Array, original: Uint8Array, savedLocation: string): Relinked {
  const originals = new Map<string, Tensor>();
  for (const f of graphOf(original).graphFields) if (f.field === GRAPH.initializer) {
    const t = tensor(f.payload!); // length-delimited: readFields sets payload
    if (t.external) originals.set(t.name, t);
  }
  const { modelFields, graphFields } = graphOf(saved);
  const checks: Relinked['checks'] = [];
  const initializers = new Set<string>();
  const relinkInitializer = (f: RawField): Uint8Array => {
    const t = tensor(f.payload!);
    initializers.add(t.name);
    if (t.external?.range.location !== savedLocation) return f.bytes;
    const o = originals.get(t.name);
    const same = o?.external && o.dataType === t.dataType && o.dims.join() === t.dims.join() && o.external.range.length === t.external.range.length;
    if (!same) throw new Error(`initializer "${t.name}" was rewritten by the optimiser (not the original's external data)`);
    checks.push({ name: t.name, saved: t.external.range, original: o.external!.range }); // same ⇒ o.external
    const kept = t.fields.filter((x) => x.field !== TENSOR.externalData).map((x) => x.bytes);
    return lengthDelimited(GRAPH.initializer, concatBytes([...kept, ...o.external!.entries.map((e) => e.bytes)]));
  };
  const rewritten = graphFields.map((f) => (f.field === GRAPH.initializer ? relinkInitializer(f) : f.bytes));
  const inputs = new Set(graphFields.filter((f) => f.field === GRAPH.input).map((f) => fieldString(readFields(f.payload!).find((x) => x.field === VALUE_INFO.name) ?? ({} as RawField))));
  const weights = new Set([...initializers].filter((n) => !inputs.has(n)));
  const order = weightsFirst(graphFields.filter((f) => f.field === GRAPH.node), weights);
  let next = 0;
  const graph = concatBytes(graphFields.map((f, i) => (f.field === GRAPH.node ? order[next++]!.bytes : rewritten[i]!))); // one node out per node in
  const bytes = concatBytes(modelFields.map((f) => (f.field === MODEL.graph ? lengthDelimited(MODEL.graph, graph) : f.bytes)));
  return { bytes, checks };
}

/** Nodes computed from `weights` alone first, then the others, each group in its saved order. */
function weightsFirst(nodes: RawField[], weights: Set<string>): RawField[] {
  const parsed = nodes.map((n) => {
    const f = readFields(n.payload!);
    const names = (k: number) => f.filter((x) => x.field === k).map(fieldString);
    return { node: n, inputs: names(NODE.input).filter((x) => x !== ''), outputs: names(NODE.output) };
  });
  const fromWeights = new Set(weights);
  const isWeightOnly = new Set<number>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const [i, p] of parsed.entries()) {
      if (isWeightOnly.has(i) || !p.inputs.every((x) => fromWeights.has(x))) continue;
      isWeightOnly.add(i);
      for (const o of p.outputs) fromWeights.add(o);
      changed = true;
    }
  }
  return [...parsed.filter((_, i) => isWeightOnly.has(i)), ...parsed.filter((_, i) => !isWeightOnly.has(i))].map((p) => p.node);
}
