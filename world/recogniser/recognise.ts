// Running the trained recogniser: its forward graph with the weights inline (a few hundred KB), on
// the CPU in the runtime worker, in batches. Gives each image's class per head (with probabilities)
// and its embedding.
import { Graph } from '../../sidecar/graph/graph';
import { emitModel } from '../../sidecar/onnx/emit';
import { type HostTensor, openRuntime, type Runtime, type Session } from '../../sidecar/runtime/runtime';
import { HEAD_NAMES, HEADS, type HeadName } from './heads';
import { buildRecogniser, EMBEDDING_SIZE, IMAGE_SIZE, toInput } from './model';
import { loadWeights } from './weights';

export interface Recognition {
  /** Class name per head. */
  classes: Record<HeadName, string>;
  /** Softmax probabilities per head, in HEADS order. */
  probs: Record<HeadName, number[]>;
  /** L2-normalised pooled features. */
  embedding: Float32Array;
}

const BATCH = 32;

export class Recogniser {
  private constructor(
    private readonly rt: Runtime,
    private readonly session: Session,
    private readonly ownsRuntime: boolean,
  ) {}

  static async open(o: { weightsPath?: string; runtime?: Runtime } = {}): Promise<Recogniser> {
    const weights = await loadWeights(o.weightsPath);
    const g = new Graph('recogniser');
    const r = buildRecogniser(g, BATCH, { trainable: false });
    for (const h of HEAD_NAMES) g.output(r.logits[h], `logits.${h}`);
    g.output(r.embedding, 'embedding');
    const { bytes } = emitModel(g, {
      weights: (name) => {
        const w = weights.get(name)!;
        return { kind: 'bytes', data: new Uint8Array(w.buffer, w.byteOffset, w.byteLength), dtype: 'float32' };
      },
    });
    const rt = o.runtime ?? (await openRuntime({ providers: ['cpu'] }));
    try {
      return new Recogniser(rt, await rt.load({ bytes }, { name: 'recogniser' }), !o.runtime);
    } catch (e) {
      if (!o.runtime) await rt.close();
      throw e;
    }
  }

  /** `pixels`: `count` RGB images of 64×64, interleaved bytes, one after another. */
  async recognise(pixels: Uint8Array, count: number): Promise<Recognition[]> {
    const input = toInput(pixels, count);
    const per = 3 * IMAGE_SIZE * IMAGE_SIZE;
    const out: Recognition[] = [];
    for (let at = 0; at < count; at += BATCH) {
      const n = Math.min(BATCH, count - at);
      const x = new Float32Array(BATCH * per); // the last batch is zero-padded
      x.set(input.subarray(at * per, (at + n) * per));
      const res = await this.session.run({ image: { dtype: 'float32', dims: [BATCH, 3, IMAGE_SIZE, IMAGE_SIZE], data: x } });
      const host = (name: string) => (res[name] as HostTensor).data as Float32Array;
      for (let b = 0; b < n; b++) {
        const classes = {} as Record<HeadName, string>;
        const probs = {} as Record<HeadName, number[]>;
        for (const h of HEAD_NAMES) {
          const k = HEADS[h].length;
          probs[h] = softmax(host(`logits.${h}`).subarray(b * k, (b + 1) * k));
          classes[h] = HEADS[h][probs[h].indexOf(Math.max(...probs[h]))]!;
        }
        out.push({ classes, probs, embedding: host('embedding').slice(b * EMBEDDING_SIZE, (b + 1) * EMBEDDING_SIZE) });
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
    if (this.ownsRuntime) await this.rt.close();
  }
}

function softmax(xs: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(xs));
  const e = Array.from(xs, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
