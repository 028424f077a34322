// One training graph (forward + loss + backward + AdamW, all parameters trained) run step after step
// with weights and moments kept in the runtime worker between runs; only the batch goes in. The
// sidecar's Trainer does this for the UNet and text encoder; this is the same loop for other graphs
// (the VAE), whose frozen parameters (if any) are small enough to inline: no checkpoint binding.
import type { Graph } from '../../sidecar/graph/graph';
import { emitModel } from '../../sidecar/onnx/emit';
import type { AdamWGraph } from '../../sidecar/optim/adamw';
import { type DeviceTensor, type HostTensor, isDeviceTensor, type Runtime, type Session } from '../../sidecar/runtime/runtime';
import type { TrainState } from '../../sidecar/training/trainer';

export const f32 = (data: Float32Array, dims: readonly number[]): HostTensor => ({ dtype: 'float32', dims, data });

export class GraphStepper {
  private current: Record<string, HostTensor | DeviceTensor> = {};
  step = 0;

  private constructor(
    private readonly rt: Runtime,
    private readonly session: Session,
    private readonly adam: AdamWGraph,
    readonly params: { name: string; shape: number[] }[],
  ) {}

  /** `frozen`: values of the graph's parameters that are not trained (inlined into the model). */
  static async open(rt: Runtime, graph: Graph, adam: AdamWGraph, name: string, frozen?: ReadonlyMap<string, Float32Array>): Promise<GraphStepper> {
    const weights = frozen && ((param: string) => {
      const w = frozen.get(param);
      if (!w) throw new Error(`training graph "${name}": no value for the frozen parameter "${param}"`);
      return { kind: 'bytes' as const, data: new Uint8Array(w.buffer, w.byteOffset, w.byteLength), dtype: 'F32' as const };
    });
    const { bytes } = emitModel(graph, weights ? { weights } : {});
    const session = await rt.load({ bytes }, { name });
    return new GraphStepper(rt, session, adam, graph.params.filter((p) => p.attrs.trainable).map((p) => ({ name: p.name, shape: p.shape as number[] })));
  }

  setState(s: Pick<TrainState, 'weights' | 'step'> & Partial<TrainState>): void {
    this.current = {};
    for (const [i, p] of this.params.entries()) {
      const slot = this.adam.slots[i]!;
      const w = s.weights.get(p.name);
      if (!w) throw new Error(`training state: no weights for "${p.name}"`);
      this.current[slot.param] = f32(w, p.shape);
      this.current[slot.m] = f32(s.m?.get(p.name) ?? new Float32Array(w.length), p.shape);
      this.current[slot.v] = f32(s.v?.get(p.name) ?? new Float32Array(w.length), p.shape);
    }
    this.step = s.step;
  }

  /** One step; returns the graph's host outputs (the losses). */
  async run(feeds: Record<string, HostTensor>, lr: number): Promise<Record<string, Float32Array>> {
    const keep = this.adam.slots.flatMap((s) => [s.paramOut, s.mOut, s.vOut]);
    const out = await this.session.run({ ...this.current, ...feeds, [this.adam.lr]: f32(Float32Array.of(lr), []), [this.adam.step]: f32(Float32Array.of(this.step + 1), []) }, { keepOnDevice: keep });
    const old = Object.values(this.current).filter(isDeviceTensor);
    if (old.length) await this.rt.release(...old);
    this.current = {};
    for (const s of this.adam.slots) {
      this.current[s.param] = out[s.paramOut]!;
      this.current[s.m] = out[s.mOut]!;
      this.current[s.v] = out[s.vOut]!;
    }
    this.step++;
    const host: Record<string, Float32Array> = {};
    for (const [k, t] of Object.entries(out)) if (!isDeviceTensor(t) && !keep.includes(k)) host[k] = t.data as Float32Array;
    return host;
  }

  async state(): Promise<TrainState> {
    const get = async (name: string) => {
      const t = this.current[name]!;
      return Float32Array.from((isDeviceTensor(t) ? await this.rt.download(t) : t).data as Float32Array);
    };
    const s: TrainState = { weights: new Map(), m: new Map(), v: new Map(), step: this.step };
    for (const [i, p] of this.params.entries()) {
      const slot = this.adam.slots[i]!;
      s.weights.set(p.name, await get(slot.param));
      s.m.set(p.name, await get(slot.m));
      s.v.set(p.name, await get(slot.v));
    }
    return s;
  }

  async close(): Promise<void> {
    const dev = Object.values(this.current).filter(isDeviceTensor);
    if (dev.length) await this.rt.release(...dev);
    await this.session.release();
  }
}
