// The graph IR: every value is the single output of one node (leaves are inputs, parameters and
// constants). One output per node keeps the builder, the evaluator and the autodiff driver simple;
// multi-output ONNX ops (Split) are expressed as several Slice nodes instead.

export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8';
export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'float64'];

/** A dimension: a static size, or the name of a symbolic size (e.g. 'batch') set by a graph input. */
export type Dim = number | string;
export type Shape = readonly Dim[];

/** Attributes of each op, under their ONNX names. Static shape-like operands (Reshape's shape,
 *  Slice's starts, Reduce's axes, Pad's pads) are attributes here and become int64 constant inputs
 *  at emission, which keeps shapes known to the builder. */
export interface OpAttrs {
  // leaves
  Input: Record<string, never>;
  Param: { trainable: boolean };
  Constant: { values: ArrayLike<number> };
  // elementwise, broadcasting (numpy rules)
  Add: Record<string, never>;
  Sub: Record<string, never>;
  Mul: Record<string, never>;
  Div: Record<string, never>;
  Pow: Record<string, never>;
  Min: Record<string, never>;
  Max: Record<string, never>;
  // elementwise unary
  Neg: Record<string, never>;
  Exp: Record<string, never>;
  Log: Record<string, never>;
  Sqrt: Record<string, never>;
  Tanh: Record<string, never>;
  Erf: Record<string, never>;
  Sigmoid: Record<string, never>;
  Sin: Record<string, never>;
  Cos: Record<string, never>;
  Cast: { to: DType };
  // comparison and selection (no gradient: the optimizer's overflow check only)
  Equal: Record<string, never>;
  Where: Record<string, never>;
  // linear algebra / convolution
  MatMul: Record<string, never>;
  Conv: { strides: number[]; pads: number[]; dilations: number[]; group: number };
  ConvTranspose: { strides: number[]; pads: number[]; dilations: number[]; group: number; output_padding: number[] };
  // reductions (axes normalised to be non-negative, sorted)
  ReduceSum: { axes: number[]; keepdims: 0 | 1 };
  ReduceMean: { axes: number[]; keepdims: 0 | 1 };
  Softmax: { axis: number };
  LogSoftmax: { axis: number };
  InstanceNormalization: { epsilon: number };
  // layout
  Reshape: { shape: Dim[] };
  Expand: { shape: Dim[] };
  /** Nearest-neighbour upsampling by whole factors per axis (mode nearest, asymmetric, floor: out[i] = in[⌊i/s⌋]). */
  Resize: { scales: number[] };
  Transpose: { perm: number[] };
  Concat: { axis: number };
  Slice: { starts: number[]; ends: number[]; axes: number[]; steps: number[] };
  Pad: { pads: number[] };
  Gather: { axis: number };
  ScatterND: { reduction: 'add' };
  // fused kernels (contrib domain com.microsoft), used where speed demands and no gradient is needed
  /** query_chunk is not emitted: it sets the query chunk of the recomputing backward pass. */
  MultiHeadAttention: { num_heads: number; query_chunk: number };
}
export type OpType = keyof OpAttrs;

let nextId = 0;

/** A symbolic tensor: the output of one node of a Graph. */
export class Value<K extends OpType = OpType> {
  readonly id = nextId++;
  constructor(
    readonly graph: GraphLike,
    readonly op: K,
    readonly inputs: readonly Value[],
    readonly attrs: OpAttrs[K],
    readonly dtype: DType,
    readonly shape: Shape,
    /** Unique value name in the emitted ONNX graph, derived from the module scope. */
    readonly name: string,
    /** Set when built inside `graph.checkpoint(...)`: the backward recomputes this value. */
    readonly region?: number,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  /** Input i; the op builders give each op its inputs, so a missing one is a bug named here. */
  input(i: number): Value {
    const x = this.inputs[i];
    if (!x) throw new Error(`graph: ${this} has no input ${i} (it has ${this.inputs.length})`);
    return x;
  }
  /** Dim `axis` of the shape (negative counts from the end); an axis past the rank is a bug named here. */
  dim(axis: number): Dim {
    const d = this.shape.at(axis);
    if (d === undefined) throw new Error(`graph: ${this} has no axis ${axis}`);
    return d;
  }
  toString(): string {
    return `${this.op} "${this.name}" ${this.dtype}[${this.shape.join(',')}]`;
  }
}

/** What ops need from a graph (breaks the import cycle between graph.ts and ops.ts). */
export interface GraphLike {
  node<K extends OpType>(op: K, inputs: readonly Value[], attrs: OpAttrs[K], dtype: DType, shape: Shape, name?: string): Value<K>;
  constant(values: ArrayLike<number>, dtype: DType, shape: Shape, name?: string): Value<'Constant'>;
  scalar(value: number, dtype: DType): Value<'Constant'>;
  scope<T>(name: string | number, fn: () => T): T;
  readonly values: readonly Value[];
  /** See Graph.backwardFrom. */
  backwardFrom: number | undefined;
}

export function isFloat(d: DType): boolean {
  return FLOAT_DTYPES.includes(d);
}
