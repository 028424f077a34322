// Seeded draws for the world, on the project's MT19937 so a seed means the same scene everywhere.
import { Mt19937 } from '../../sidecar/random/mt19937';

export class WorldRandom {
  private readonly mt: Mt19937;
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`world: the seed must be a non-negative integer, got ${seed}`);
    this.mt = new Mt19937(seed);
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.mt.nextU32() / 2 ** 32;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}
