// Seeded draws for a training step: every step's batch, timesteps and noise come from (seed, step)
// alone, so a resumed run continues exactly as an uninterrupted one would.
import { Mt19937 } from '../../sidecar/random/mt19937';

export class StepRandom {
  private readonly mt: Mt19937;
  constructor(seed: number, step: number, stream = 0) {
    this.mt = new Mt19937(((seed * 1000003) ^ (step * 7919 + stream * 104729)) >>> 0);
  }
  next(): number {
    return (this.mt.nextU32() + 0.5) / 2 ** 32;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  normal(n: number): Float32Array {
    return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(this.next())) * Math.cos(2 * Math.PI * this.next()));
  }
  /** `b` distinct indices of 0..n-1. */
  sample(n: number, b: number): number[] {
    const seen = new Set<number>();
    while (seen.size < Math.min(b, n)) seen.add(this.int(n));
    return [...seen];
  }
}
