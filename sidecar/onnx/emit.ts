// Graph → ONNX ModelProto bytes. One node per primitive; static shape-like attributes (Reshape's
// shape, Slice's starts, Reduce axes, Pad pads) become int64 initializers; parameters become
// initializers (inline bytes, external data pointing into a .safetensors in place, or a separate
// blob) or, when trainable, graph inputs.
import { relative, basename, isAbsolute, sep } from 'node:path';
import type { Graph } from '../graph/graph';
import { numel } from '../graph/shape';
import { reachable } from '../graph/reach';
import type { Dim, DType, Shape, Value } from '../graph/types';
import {
  type AttrValue,
  type NodeMsg,
  type TensorMsg,
  type ValueInfoMsg,
  DATA_TYPE,
  DTYPE_SIZE,
  IR_FOR_OPSET,
  VERSIONS,
  encodeModel,
  makeExternalTensor,
  makeNode,
  makeTensor,
  makeValueInfo,
} from './builder';
import { NCHWC_DOMAIN } from './nchwc';
import { encodeValues } from './values';

/** safetensors dtype names are accepted too, so a StEntry's dtype can be passed straight through. */
export type WeightDType = DType | 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'BOOL';
export type WeightSource =
  | { kind: 'file'; path: string; offset: number; length: number; dtype: WeightDType }
  | { kind: 'bytes'; data: Uint8Array; dtype: WeightDType };

export interface EmitOptions {
  /** Bytes of each frozen parameter, by its full name (e.g. `conv_in.weight`). */
  weights?: (name: string, param: Value<'Param'>) => WeightSource;
  opset?: number;
  irVersion?: number;
  /** Folder the .onnx will be written to: file sources get locations relative to it (they must lie
   *  inside it: ORT refuses absolute paths and `..`). Without it, locations are file base names and
   *  the runtime passes the bytes as externalData. */
  modelDir?: string;
  /** Put 'bytes' sources in one external blob with this location instead of inline. */
  bytesLocation?: string;
  /** Weights stored in another dtype than they compute in (float16 on disk, float32 compute) get one
   *  Cast per consuming node, emitted just before it, instead of one shared Cast. With constant
   *  folding off (runtime `weightsAsStored`), each float32 copy then lives only while its consumer
   *  runs, and a weight used again in the backward pass is upcast again there. */
  castPerUse?: boolean;
  /** Frozen filters whose bytes are in MLAS's blocked layout (onnx/nchwc.ts): their Convs are emitted
   *  as ORT's blocked-layout Conv between input and output reorders (CPU provider only). */
  blockedFilters?: ReadonlySet<string>;
  /** A MatMul reading a Transpose of its operand's last two axes is emitted as ORT's FusedMatMul with
   *  that operand transposed in the kernel (CPU provider), and a Transpose nothing else reads is not
   *  emitted: what ORT's MatmulTransposeFusion would make of it, without ORT optimising the graph. */
  fuseTransposedMatMul?: boolean;
}

/** A file the model's external data refers to: `path` (a file on disk) or `data` (a built blob). */
export interface ExternalFile { location: string; path?: string; data?: Uint8Array }
export interface IOInfo { name: string; dtype: DType; shape: Dim[] }
export interface EmitResult {
  bytes: Uint8Array;
  externalFiles: ExternalFile[];
  inputs: IOInfo[];
  outputs: IOInfo[];
}

/** Ops outside the default ONNX domain (ORT contrib ops, opset version 1). */
const CONTRIB_OPS: Partial<Record<string, string>> = { MultiHeadAttention: 'com.microsoft' };

/** A Transpose that swaps the last two axes and keeps the rest: what FusedMatMul's transA/transB do. */
function swapsLastTwo(v: Value): boolean {
  if (v.op !== 'Transpose') return false;
  const perm = (v as Value<'Transpose'>).attrs.perm;
  const n = perm.length;
  return n >= 2 && perm.every((p, i) => p === (i < n - 2 ? i : i === n - 2 ? n - 1 : n - 2));
}

const ST_DTYPES: Record<string, DType> = { F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', U8: 'uint8', BOOL: 'bool' };
export function weightDType(d: WeightDType): DType {
  const t = ST_DTYPES[d] ?? (d as DType);
  if (!(t in DTYPE_SIZE)) throw new Error(`onnx: unsupported weight dtype "${d}"`);
  return t;
}

/** ONNX attributes of each op (those stored as inputs are handled in `extraInputs`). */
function attributes(v: Value): Record<string, AttrValue> {
  const a = v.attrs as Record<string, unknown>;
  switch (v.op) {
    case 'Conv':
    case 'ConvTranspose': {
      const out: Record<string, AttrValue> = { strides: a.strides as number[], pads: a.pads as number[], dilations: a.dilations as number[], group: a.group as number };
      out.kernel_shape = v.input(1).shape.slice(2) as number[];
      if (v.op === 'ConvTranspose') out.output_padding = a.output_padding as number[];
      return out;
    }
    case 'ReduceSum':
    case 'ReduceMean':
      return { keepdims: a.keepdims as number };
    case 'InstanceNormalization':
      return { epsilon: { float: a.epsilon as number } };
    case 'Softmax':
    case 'LogSoftmax':
    case 'Concat':
    case 'Gather':
      return { axis: a.axis as number };
    case 'Transpose':
      return { perm: a.perm as number[] };
    case 'Cast':
      return { to: DATA_TYPE[a.to as DType] };
    case 'ScatterND':
      return { reduction: a.reduction as string };
    case 'MultiHeadAttention':
      return { num_heads: a.num_heads as number };
    case 'Resize':
      return { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' };
    default:
      return {};
  }
}

export function emitModel(graph: Graph, opts: EmitOptions = {}): EmitResult {
  const opset = opts.opset ?? VERSIONS.opset;
  const nodes: NodeMsg[] = [];
  const initializers: TensorMsg[] = [];
  const inputs: ValueInfoMsg[] = [];
  const ioIn: IOInfo[] = [];
  const names = new Map<number, string>();
  const files = new Map<string, ExternalFile>();
  const blob: Uint8Array[] = [];
  let blobSize = 0;
  const symDims = new Map<string, string>();
  const domains = new Set<string>();
  /** Stored-dtype initializers waiting for a per-use Cast: value id → initializer name and compute dtype. */
  const deferred = new Map<number, { init: string; to: DType }>();
  /** Nodes computed from such weights alone (a weight's Transpose, Reshape…): emitted per use too, so no
   *  float32 derivative of a weight outlives its consumer (a Transpose(W) shared by the forward MatMul
   *  and the backward one would otherwise keep every linear weight in float32 for the whole step). */
  const perUse = new Map<number, Value>();
  /** Per-use nodes go first in the model. ORT orders execution by a depth-first walk back from the
   *  outputs that visits a node's inputs highest node index first: a weight's Cast with a low index is
   *  reached after the consumer's activation input, i.e. just before the consumer runs. Emitted beside
   *  the consumer instead, every Cast would be hoisted to the start and all float32 copies live at once. */
  const weightNodes: NodeMsg[] = [];
  let uses = 0;
  /** ORT's planner gives a value a freed buffer of the identical shape, and frees a buffer only after
   *  the last value that reused it: a forward upcast whose weight shape comes back in the backward pass
   *  would keep its buffer, idle, in between (SD 1.5 LoRA step: ~0.1 GiB of the peak). Upcasts for the
   *  backward pass are therefore made in a shape of their own ([numel], reshaped back: no copy). */
  const cast = (init: string, to: DType, shape: Shape, backward: boolean): string => {
    const out = `${init}/as_${to}/${uses++}`;
    if (!backward || shape.length < 2) {
      weightNodes.push(makeNode('Cast', [init], [out], { to: DATA_TYPE[to] }));
      return out;
    }
    weightNodes.push(makeNode('Reshape', [init, int64(`${out}/flat_shape`, [-1])], [`${out}/flat_in`]));
    weightNodes.push(makeNode('Cast', [`${out}/flat_in`], [`${out}/flat`], { to: DATA_TYPE[to] }));
    weightNodes.push(makeNode('Reshape', [`${out}/flat`, int64(`${out}/shape`, shape as number[])], [out]));
    return out;
  };
  /** The name a consumer reads value `x` by: per-use chains are emitted here, right before the consumer
   *  (`backward`: the consumer belongs to the backward pass). */
  const use = (x: Value, backward: boolean): string => {
    const d = deferred.get(x.id);
    if (d) return cast(d.init, d.to, x.shape, backward);
    const lazy = perUse.get(x.id);
    if (lazy) return emitNode(lazy, operands(lazy, backward), `${lazy.name}/${uses++}`, weightNodes);
    return names.get(x.id)!;
  };
  /** Whether consumer `v` reads its operand `x` untransposed, transposing it in the kernel. */
  const transposedIn = (v: Value, x: Value) => opts.fuseTransposedMatMul === true && v.op === 'MatMul' && swapsLastTwo(x);
  const operands = (v: Value, backward: boolean) => v.inputs.map((x) => use(transposedIn(v, x) ? x.input(0) : x, backward));
  const extras = new Map<number, string[]>();
  const emitNode = (v: Value, ins: string[], out: string, into = nodes): string => {
    if (!extras.has(v.id)) extras.set(v.id, extraInputs(v));
    const [transA, transB] = v.op === 'MatMul' ? v.inputs.map((x) => Number(transposedIn(v, x))) : [0, 0];
    const fused = transA! + transB! > 0;
    const node = fused
      ? makeNode('FusedMatMul', ins, [out], { transA: transA!, transB: transB!, alpha: { float: 1 } })
      : makeNode(v.op, [...ins, ...extras.get(v.id)!], [out], attributes(v));
    const domain = fused ? 'com.microsoft' : CONTRIB_OPS[v.op];
    if (domain) (node.domain = domain), domains.add(domain);
    into.push(node);
    return out;
  };
  /** A weight-derived node of the per-use kind: its inputs are per-use values, frozen params or constants. */
  const isPerUse = (v: Value) =>
    opts.castPerUse === true &&
    v.inputs.some((x) => deferred.has(x.id) || perUse.has(x.id)) &&
    v.inputs.every((x) => deferred.has(x.id) || perUse.has(x.id) || x.op === 'Constant' || (x.op === 'Param' && !(x as Value<'Param'>).attrs.trainable));

  const int64 = (name: string, vals: readonly number[], dims: number[] = [vals.length]) => {
    initializers.push(makeTensor(name, 'int64', dims, encodeValues(vals, 'int64')));
    return name;
  };
  /** A shape input; symbolic dims are read from the graph input that defines them at runtime. */
  const shapeInput = (owner: string, shape: readonly Dim[]): string => {
    if (shape.every((d) => typeof d === 'number')) return int64(`${owner}/shape`, shape as number[]);
    const parts = shape.map((d, i) => {
      if (typeof d === 'number') return int64(`${owner}/shape_${i}`, [d]);
      const src = graph.symbols.get(d);
      if (!src) throw new Error(`onnx: symbolic dim "${d}" of ${owner} is defined by no graph input`);
      if (!symDims.has(d)) {
        const out = `${d}/dim`;
        nodes.push(makeNode('Shape', [src.input.name], [out], { start: src.axis, end: src.axis + 1 }));
        symDims.set(d, out);
      }
      return symDims.get(d)!;
    });
    nodes.push(makeNode('Concat', parts, [`${owner}/shape`], { axis: 0 }));
    return `${owner}/shape`;
  };
  const extraInputs = (v: Value): string[] => {
    const a = v.attrs as Record<string, number[] | Dim[]>;
    switch (v.op) {
      case 'Reshape':
      case 'Expand':
        return [shapeInput(v.name, a.shape as Dim[])];
      case 'ReduceSum':
      case 'ReduceMean':
        return [int64(`${v.name}/axes`, a.axes as number[])];
      case 'Slice':
        return [int64(`${v.name}/starts`, a.starts as number[]), int64(`${v.name}/ends`, a.ends as number[]), int64(`${v.name}/axes`, a.axes as number[]), int64(`${v.name}/steps`, a.steps as number[])];
      case 'Pad':
        return [int64(`${v.name}/pads`, a.pads as number[])];
      case 'Resize': // inputs X, roi (unused by nearest: none), scales
        initializers.push(makeTensor(`${v.name}/scales`, 'float32', [a.scales!.length], encodeValues(a.scales as number[], 'float32')));
        return ['', `${v.name}/scales`];
      default:
        return [];
    }
  };

  const param = (p: Value<'Param'>) => {
    if (p.attrs.trainable) {
      inputs.push(makeValueInfo(p.name, p.dtype, p.shape));
      ioIn.push({ name: p.name, dtype: p.dtype, shape: [...p.shape] });
      return p.name;
    }
    if (!opts.weights) throw new Error(`onnx: frozen parameter "${p.name}" needs bytes, but emitModel got no weights() source`);
    const src = opts.weights(p.name, p);
    const dtype = weightDType(src.dtype);
    const dims = p.shape as number[];
    let t: TensorMsg;
    if (src.kind === 'file') {
      const location = fileLocation(src.path, opts.modelDir, p.name);
      files.set(location, { location, path: src.path });
      t = makeExternalTensor(p.name, dtype, dims, location, src.offset, src.length);
    } else if (opts.bytesLocation) {
      const want = numel(dims) * DTYPE_SIZE[dtype];
      if (src.data.byteLength !== want) throw new Error(`onnx: parameter "${p.name}" has ${src.data.byteLength} bytes, but ${dtype}[${dims}] needs ${want}`);
      t = makeExternalTensor(p.name, dtype, dims, opts.bytesLocation, blobSize, want);
      blob.push(src.data);
      blobSize += want;
    } else {
      t = makeTensor(p.name, dtype, dims, src.data);
    }
    initializers.push(t);
    if (dtype === p.dtype) return p.name;
    if (opts.castPerUse) {
      deferred.set(p.id, { init: p.name, to: p.dtype });
      return p.name;
    }
    // Stored dtype differs from the compute dtype (e.g. F16 on disk, float32 compute): cast once.
    const cast = `${p.name}/as_${p.dtype}`;
    nodes.push(makeNode('Cast', [p.name], [cast], { to: DATA_TYPE[p.dtype] }));
    return cast;
  };

  const blockedFilters = opts.blockedFilters ?? new Set<string>();
  const nchwcNode = (op: string, ins: string[], outs: string[], attrs: Record<string, AttrValue> = {}) => ({ ...makeNode(op, ins, outs, attrs), domain: NCHWC_DOMAIN });
  const live = reachable(graph.outputs.map((o) => o.value));
  const backwardFrom = graph.backwardFrom ?? Infinity;
  // Transposes every reader of which transposes them in its kernel: never emitted.
  const folded = new Set<number>();
  if (opts.fuseTransposedMatMul) {
    const readElsewhere = new Set(graph.outputs.map((o) => o.value.id));
    for (const v of graph.values) {
      if (!live.has(v.id)) continue;
      for (const x of v.inputs) if (swapsLastTwo(x)) (transposedIn(v, x) ? folded : readElsewhere).add(x.id);
    }
    for (const id of readElsewhere) folded.delete(id);
  }
  for (const [i, v] of graph.values.entries()) {
    if (!live.has(v.id)) continue;
    switch (v.op) {
      case 'Input':
        inputs.push(makeValueInfo(v.name, v.dtype, v.shape));
        ioIn.push({ name: v.name, dtype: v.dtype, shape: [...v.shape] });
        names.set(v.id, v.name);
        break;
      case 'Param':
        names.set(v.id, param(v as Value<'Param'>));
        break;
      case 'Constant':
        initializers.push(makeTensor(v.name, v.dtype, v.shape as number[], encodeValues((v as Value<'Constant'>).attrs.values, v.dtype)));
        names.set(v.id, v.name);
        break;
      default: {
        const blocked = v.inputs.findIndex((x) => blockedFilters.has(x.name));
        if (blocked < 0) {
          if (isPerUse(v)) perUse.set(v.id, v);
          else if (!folded.has(v.id)) names.set(v.id, emitNode(v, operands(v, i >= backwardFrom), v.name));
          break;
        }
        if (v.op !== 'Conv' || blocked !== 1 || (v as Value<'Conv'>).attrs.group !== 1) {
          throw new Error(`onnx: "${v.name}" (${v.op}) reads the blocked filter "${v.input(blocked).name}", which only an ungrouped Conv can`);
        }
        // ORT's blocked-layout Conv, between the reorders its own NCHWc transformation would insert.
        const [x, w, b] = v.inputs.map((u) => use(u, i >= backwardFrom));
        nodes.push(nchwcNode('ReorderInput', [x!], [`${v.name}/nchwc_in`]));
        nodes.push(nchwcNode('Conv', [`${v.name}/nchwc_in`, w!, ...(b ? [b] : [])], [`${v.name}/nchwc`], attributes(v)));
        nodes.push(nchwcNode('ReorderOutput', [`${v.name}/nchwc`], [v.name], { channels: v.dim(1) as number }));
        domains.add(NCHWC_DOMAIN);
        names.set(v.id, v.name);
      }
    }
  }
  const outputs: ValueInfoMsg[] = [];
  const ioOut: IOInfo[] = [];
  for (const { name, value } of graph.outputs) {
    const src = use(value, false);
    if (src !== name) nodes.push(makeNode('Identity', [src], [name]));
    outputs.push(makeValueInfo(name, value.dtype, value.shape));
    ioOut.push({ name, dtype: value.dtype, shape: [...value.shape] });
  }
  if (opts.bytesLocation && blob.length) {
    const data = new Uint8Array(blobSize);
    let at = 0;
    for (const b of blob) data.set(b, (at += b.byteLength) - b.byteLength);
    files.set(opts.bytesLocation, { location: opts.bytesLocation, data });
  }
  const bytes = encodeModel({ name: graph.name, node: [...weightNodes, ...nodes], initializer: initializers, input: inputs, output: outputs }, opset, opts.irVersion ?? IR_FOR_OPSET[opset], [...domains]);
  return { bytes, externalFiles: [...files.values()], inputs: ioIn, outputs: ioOut };
}

function fileLocation(path: string, modelDir: string | undefined, param: string): string {
  if (!modelDir) return basename(path);
  const rel = relative(modelDir, path);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new Error(`onnx: weights of "${param}" are in ${path}, outside the model folder ${modelDir}; ORT only reads external data at or below the model's folder`);
  }
  return rel.split(sep).join('/');
}
