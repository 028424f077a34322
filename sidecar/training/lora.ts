// LoRA adapters on the UNet graph (Hu et al. 2021): a target linear layer y = W x + b becomes
//   y = W x + b + (alpha / rank) · up(down(x)),   down [rank, in], up [out, rank], no bias,
// as peft's LoraConfig(r, lora_alpha, target_modules) does for diffusers' train_dreambooth_lora.py.
// The adapter weights are trainable graph parameters (graph inputs the runtime keeps on the device);
// the base weights stay frozen initializers, and autodiff walks only what depends on the adapters,
// so no weight gradient is ever formed for them.
//
// The model code is not forked: buildUNet builds into a LoraGraph, which recognises a linear layer
// as it is built (nn.linearWith's MatMul(x, Transpose(W)) with W a parameter `<path>.weight` whose
// module path is a target) and adds the adapter to its output, inside the layer's own scope, so the
// adapter's parameters are `<path>.lora_down.weight` / `<path>.lora_up.weight`. `finish()` checks
// that every target weight got its adapter, so a change in how layers are built fails loudly.
import { Graph } from '../graph/graph';
import * as op from '../graph/ops';
import { linearWith } from '../graph/nn';
import type { DType, OpAttrs, OpType, Shape, Value } from '../graph/types';

/** diffusers' default targets for DreamBooth LoRA: the attention projections. */
export const ATTENTION_TARGETS = ['to_q', 'to_k', 'to_v', 'to_out.0'] as const;

export interface LoraSpec {
  rank: number;
  alpha: number;
  /** Module names (the last part(s) of a module path) that get adapters. */
  targets: readonly string[];
}

/** One adapted linear layer. `path` is the diffusers module path, e.g. `mid_block.attentions.0.transformer_blocks.0.attn1.to_q`. */
export interface LoraModuleParams {
  path: string;
  down: Value<'Param'>;
  up: Value<'Param'>;
  inFeatures: number;
  outFeatures: number;
}

export function isTarget(path: string, targets: readonly string[]): boolean {
  return targets.some((t) => path === t || path.endsWith(`.${t}`));
}

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

export interface LoraGraphOptions {
  checkpointing?: Checkpointing;
}

export class LoraGraph extends Graph {
  readonly modules: LoraModuleParams[] = [];
  private inAdapter = false;
  /** Set by finish(): the backward pass (recomputed regions included) must not add adapters. */
  private finished = false;
  private readonly scale: number;

  constructor(
    readonly spec: LoraSpec,
    private readonly opts: LoraGraphOptions = {},
    name = 'unet_lora',
  ) {
    super(name);
    if (!(Number.isInteger(spec.rank) && spec.rank > 0)) throw new Error(`LoRA rank must be a positive integer, got ${spec.rank}`);
    this.scale = spec.alpha / spec.rank;
  }

  override scope<T>(name: string | number, fn: () => T): T {
    const blocks = CHECKPOINTED[this.opts.checkpointing ?? 'none'];
    if (blocks && !this.finished && blocks.test(String(name))) return super.scope(name, () => this.checkpoint(fn));
    return super.scope(name, fn);
  }

  override node<K extends OpType>(kind: K, inputs: readonly Value[], attrs: OpAttrs[K], dtype: DType, shape: Shape, name?: string): Value<K> {
    const y = super.node(kind, inputs, attrs, dtype, shape, name);
    if (kind !== 'MatMul' || this.inAdapter || this.finished) return y;
    const path = targetWeightPath(inputs[1], this.spec.targets);
    if (!path) return y;
    this.inAdapter = true;
    try {
      return this.adapt(path, inputs[0]!, y) as Value as Value<K>;
    } finally {
      this.inAdapter = false;
    }
  }

  private adapt(path: string, x: Value, y: Value): Value {
    const inF = x.shape[x.rank - 1] as number;
    const outF = y.shape[y.rank - 1] as number;
    const down = this.param('lora_down.weight', 'float32', [this.spec.rank, inF], { trainable: true });
    const up = this.param('lora_up.weight', 'float32', [outF, this.spec.rank], { trainable: true });
    if (down.name !== `${path}.lora_down.weight`) throw new Error(`LoRA: adapter for "${path}" was built in scope "${down.name}" (the linear layer is not built in its own module scope)`);
    this.modules.push({ path, down, up, inFeatures: inF, outFeatures: outF });
    const cast = (v: Value) => (v.dtype === x.dtype ? v : op.Cast(v, x.dtype));
    const delta = linearWith(linearWith(x, cast(down)), cast(up));
    return op.Add(y, this.scale === 1 ? delta : op.Mul(delta, this.scale));
  }

  /** Checks that every target weight got an adapter (call after building the model). */
  finish(): LoraModuleParams[] {
    const adapted = new Set(this.modules.map((m) => m.path));
    const missed = this.params.filter((p) => p.name.endsWith('.weight') && p.rank === 2 && isTarget(p.name.slice(0, -7), this.spec.targets) && !adapted.has(p.name.slice(0, -7)));
    if (missed.length) throw new Error(`LoRA: ${missed.length} target layer(s) were not recognised as linear layers (first: ${missed[0]!.name})`);
    if (this.modules.length === 0) throw new Error(`LoRA: no module of the model matches the targets ${this.spec.targets.join(', ')}`);
    this.finished = true;
    return this.modules;
  }
}

// ── kohya names (what AUTOMATIC1111, ComfyUI and `generate --lora` load) ──────────────────────────

export const KOHYA_UNET_PREFIX = 'lora_unet_';

export function kohyaBase(path: string): string {
  return KOHYA_UNET_PREFIX + path.replaceAll('.', '_');
}
export function kohyaKeys(path: string): { down: string; up: string; alpha: string } {
  const b = kohyaBase(path);
  return { down: `${b}.lora_down.weight`, up: `${b}.lora_up.weight`, alpha: `${b}.alpha` };
}
