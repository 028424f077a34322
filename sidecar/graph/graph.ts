// The graph builder: inputs, parameters, constants and outputs, with a naming scope so that value
// names read like the checkpoint's weight keys (`down_blocks.0.resnets.1.conv1.weight`).
import { type DType, type GraphLike, type OpAttrs, type OpType, type Shape, Value } from './types';

export interface ParamOptions {
  /** Trainable parameters become graph inputs (the runtime keeps them on the device and feeds
   *  updated values each step); frozen ones are initializers whose bytes are bound at emission. */
  trainable?: boolean;
}

export class Graph implements GraphLike {
  readonly values: Value[] = [];
  readonly inputs: Value<'Input'>[] = [];
  readonly params: Value<'Param'>[] = [];
  readonly outputs: { name: string; value: Value }[] = [];
  /** Symbolic dim name → the graph input and axis that define it (the emitter reads sizes there). */
  readonly symbols = new Map<string, { input: Value<'Input'>; axis: number }>();
  private readonly scopes: string[] = [];
  private readonly used = new Map<string, number>();
  private region: number | undefined;
  private regions = 0;
  /** Index in `values` of the first value autodiff built (grad()): the backward pass, recomputed
   *  forward regions included, is `values` from here on. */
  backwardFrom: number | undefined;

  constructor(readonly name = 'graph') {}

  /** Runs `fn` with `name` appended to the naming scope; returns what `fn` returns. */
  scope<T>(name: string | number, fn: () => T): T {
    this.scopes.push(String(name));
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** The dotted module path for a local name in the current scope. */
  path(local: string): string {
    return [...this.scopes, local].filter((s) => s !== '').join('.');
  }

  /** Values built inside `fn` are recomputed during the backward pass instead of being kept alive
   *  from the forward pass (gradient checkpointing): trades compute for memory. */
  checkpoint<T>(fn: () => T): T {
    if (this.region !== undefined) return fn();
    this.region = this.regions++;
    try {
      return fn();
    } finally {
      this.region = undefined;
    }
  }

  input(name: string, dtype: DType, shape: Shape): Value<'Input'> {
    this.claim(name, 'input');
    const v = new Value(this, 'Input', [], {}, dtype, shape, name);
    shape.forEach((d, axis) => {
      if (typeof d === 'string' && !this.symbols.has(d)) this.symbols.set(d, { input: v, axis });
    });
    this.values.push(v);
    this.inputs.push(v);
    return v;
  }

  /** A named weight in the current scope: `g.scope('conv_in', () => g.param('weight', ...))` is
   *  `conv_in.weight`. */
  param(local: string, dtype: DType, shape: Shape, opts: ParamOptions = {}): Value<'Param'> {
    const name = this.path(local);
    for (const d of shape) {
      if (typeof d !== 'number') throw new Error(`graph: parameter "${name}" has symbolic dim "${d}"; parameter shapes must be static`);
    }
    this.claim(name, 'parameter');
    const v = new Value(this, 'Param', [], { trainable: !!opts.trainable }, dtype, shape, name);
    this.values.push(v);
    this.params.push(v);
    return v;
  }

  constant(values: ArrayLike<number>, dtype: DType, shape: Shape, name?: string): Value<'Constant'> {
    const n = shape.reduce<number>((a, d) => a * (d as number), 1);
    if (values.length !== n) throw new Error(`graph: constant "${name ?? ''}" has ${values.length} values for shape [${shape.join(',')}] (${n} elements)`);
    return this.node('Constant', [], { values }, dtype, shape, name ?? 'const');
  }

  scalar(value: number, dtype: DType): Value<'Constant'> {
    return this.constant([value], dtype, [], 'const');
  }

  output(value: Value, name: string): void {
    if (this.outputs.some((o) => o.name === name)) throw new Error(`graph: duplicate output name "${name}"`);
    this.outputs.push({ name, value });
  }

  node<K extends OpType>(op: K, inputs: readonly Value[], attrs: OpAttrs[K], dtype: DType, shape: Shape, name?: string): Value<K> {
    for (const x of inputs) {
      if (x.graph !== this) throw new Error(`graph: ${op} input ${x} belongs to another graph`);
    }
    const v = new Value(this, op, inputs, attrs, dtype, shape, this.unique(this.path(`${name ?? op}`)), op === 'Constant' ? undefined : this.region);
    this.values.push(v);
    return v;
  }

  private claim(name: string, what: string): void {
    if (this.used.has(name)) throw new Error(`graph: duplicate ${what} name "${name}"`);
    this.used.set(name, 1);
  }

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.set(name, 1);
    return name;
  }
}
