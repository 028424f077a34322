// The graph a training step is built into: it decides, as the model code builds layers, what is trained.
//  - LoRA (lora.ts): a target linear layer is recognised as it is built (nn.linearWith's
//    MatMul(x, Transpose(W)) with W a parameter `<path>.weight` whose module path is a target) and gets
//    an adapter added to its output inside the layer's own scope, so the adapter's parameters are
//    `<path>.lora_down.weight` / `<path>.lora_up.weight`;
//  - full fine-tuning: every parameter under a trained prefix becomes trainable (a graph input fed
//    the float32 master weights) instead of a frozen initializer bound to the checkpoint;
//  - recomputation: chosen UNet blocks are recomputed in the backward pass.
// The model code is not forked. `finish()` checks that every target weight got its adapter, so a
// change in how layers are built fails loudly.
import { Graph, type ParamOptions } from '../graph/graph';
import * as op from '../graph/ops';
import { linearWith } from '../graph/nn';
import type { DType, OpAttrs, OpType, Shape, Value } from '../graph/types';
import { isTarget, type LoraModuleParams, type LoraSpec } from './lora';

/** The module path of a target linear weight feeding `b` of MatMul(x, b), if it is one. */
function targetWeightPath(b: Value | undefined, targets: readonly string[]): string | undefined {
  if (b?.op !== 'Transpose' || b.rank !== 2) return undefined;
  const w = b.inputs[0]!;
  if (w.op !== 'Param' || !w.name.endsWith('.weight') || w.rank !== 2) return undefined;
  const path = w.name.slice(0, -'.weight'.length);
  return isTarget(path, targets) ? path : undefined;
}

/** Which UNet blocks are recomputed in the backward pass instead of keeping their activations:
 *  none; every ResNet block (`…resnets.N`); or every ResNet and transformer block (`…attentions.N`),
 *  the least memory for about a third more compute. Elementwise composites (GELU, norms) and
 *  attention's query chunks are recomputed in every mode (graph/nn.ts, autodiff). */
export type Checkpointing = 'none' | 'resnets' | 'blocks';
const CHECKPOINTED: Record<Checkpointing, RegExp | undefined> = { none: undefined, resnets: /^resnets\.\d+$/, blocks: /^(resnets|attentions)\.\d+$/ };

export interface TrainGraphOptions {
  /** Adapters on the layers whose path ends in one of `lora.targets`. */
  lora?: LoraSpec;
  /** Parameters trained in full: those whose name this accepts. */
  full?: (name: string) => boolean;
  checkpointing?: Checkpointing;
}

export class TrainGraph extends Graph {
  readonly modules: LoraModuleParams[] = [];
  private inAdapter = false;
  /** Set by finish(): the backward pass (recomputed regions included) must not add adapters. */
  private finished = false;

  constructor(
    private readonly opts: TrainGraphOptions,
    name = 'train_step',
  ) {
    super(name);
    const r = opts.lora?.rank;
    if (r !== undefined && !(Number.isInteger(r) && r > 0)) throw new Error(`LoRA rank must be a positive integer, got ${r}`);
  }

  override scope<T>(name: string | number, fn: () => T): T {
    const blocks = CHECKPOINTED[this.opts.checkpointing ?? 'none'];
    if (blocks && !this.finished && blocks.test(String(name))) return super.scope(name, () => this.checkpoint(fn));
    return super.scope(name, fn);
  }

  override param(local: string, dtype: DType, shape: Shape, opts: ParamOptions = {}): Value<'Param'> {
    const full = !this.inAdapter && !!this.opts.full?.(this.path(local));
    if (!full) return super.param(local, dtype, shape, opts);
    // A trained weight is a float32 master copy whatever the model's compute dtype; in mixed precision
    // the model gets it cast to float16 at its use (autocast). Typed as the Param the model code asked
    // for: it only ever uses the value, and the trained Params are listed by finish(), not this return.
    const master = super.param(local, 'float32', shape, { ...opts, trainable: true });
    return (dtype === 'float32' ? master : op.Cast(master, dtype)) as Value<'Param'>;
  }

  override node<K extends OpType>(kind: K, inputs: readonly Value[], attrs: OpAttrs[K], dtype: DType, shape: Shape, name?: string): Value<K> {
    const y = super.node(kind, inputs, attrs, dtype, shape, name);
    const lora = this.opts.lora;
    if (kind !== 'MatMul' || !lora || this.inAdapter || this.finished) return y;
    const path = targetWeightPath(inputs[1], lora.targets);
    if (!path) return y;
    this.inAdapter = true;
    try {
      return this.adapt(lora, path, inputs[0]!, y) as Value as Value<K>;
    } finally {
      this.inAdapter = false;
    }
  }

  private adapt(spec: LoraSpec, path: string, x: Value, y: Value): Value {
    const inF = x.shape[x.rank - 1] as number;
    const outF = y.shape[y.rank - 1] as number;
    const down = this.param('lora_down.weight', 'float32', [spec.rank, inF], { trainable: true });
    const up = this.param('lora_up.weight', 'float32', [outF, spec.rank], { trainable: true });
    if (down.name !== `${path}.lora_down.weight`) throw new Error(`LoRA: adapter for "${path}" was built in scope "${down.name}" (the linear layer is not built in its own module scope)`);
    this.modules.push({ path, down, up, inFeatures: inF, outFeatures: outF });
    const cast = (v: Value) => (v.dtype === x.dtype ? v : op.Cast(v, x.dtype));
    const scale = spec.alpha / spec.rank;
    const delta = linearWith(linearWith(x, cast(down)), cast(up));
    return op.Add(y, scale === 1 ? delta : op.Mul(delta, scale));
  }

  /** Checks that every target weight got an adapter and that something is trained (call after
   *  building the model); returns the trainable parameters in graph order. */
  finish(): Value<'Param'>[] {
    const lora = this.opts.lora;
    if (lora) {
      const adapted = new Set(this.modules.map((m) => m.path));
      const missed = this.params.filter((p) => p.name.endsWith('.weight') && p.rank === 2 && isTarget(p.name.slice(0, -7), lora.targets) && !adapted.has(p.name.slice(0, -7)));
      if (missed.length) throw new Error(`LoRA: ${missed.length} target layer(s) were not recognised as linear layers (first: ${missed[0]!.name})`);
      if (this.modules.length === 0) throw new Error(`LoRA: no module of the model matches the targets ${lora.targets.join(', ')}`);
    }
    this.finished = true;
    const trained = this.params.filter((p) => p.attrs.trainable);
    if (!trained.length) throw new Error('training graph: nothing is trained (no LoRA module and no parameter trained in full)');
    return trained;
  }
}
