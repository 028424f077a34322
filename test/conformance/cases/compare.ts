// How a conformance case decides pass or fail. Tolerances come from the reference data, never from
// our own outputs:
//  - a case with an `fp64_max_abs_diff` hint (float32 vs float64 runs of the reference code, i.e. the
//    size of float32 rounding noise for that computation) passes when max|ours − reference| ≤
//    HINT_FACTOR × hint. A different float32 implementation (other summation orders, fused kernels)
//    legitimately differs by a few times the hint; 20× leaves room for that and still catches any real
//    bug, which shows up orders of magnitude larger.
//  - a case without a hint (the schedulers: elementwise float math) allows ULP_BUDGET float32 ulps of
//    the largest reference magnitude in that tensor.
export const HINT_FACTOR = 20;
export const ULP_BUDGET = 64;
const F32_EPS = 2 ** -23;

export function hintTolerance(hint: number): number {
  return HINT_FACTOR * hint;
}

export function ulpTolerance(expected: Float32Array): number {
  let m = 0;
  for (const v of expected) m = Math.max(m, Math.abs(v));
  return ULP_BUDGET * F32_EPS * Math.max(1, m);
}

export function maxAbsDiff(got: Float32Array, expected: Float32Array, what: string): number {
  if (got.length !== expected.length) throw new Error(`${what}: ${got.length} values, reference has ${expected.length}`);
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i]! - expected[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export interface Check {
  what: string;
  err: number;
  tol: number;
}

export type CaseResult =
  | { status: 'pass' | 'fail'; checks: Check[]; note?: string }
  | { status: 'skip'; reason: string };

/** pass when every check is within its tolerance; the line reports the worst check (largest err/tol). */
export function verdict(checks: Check[], note?: string): CaseResult {
  const ok = checks.every((c) => c.err <= c.tol);
  return { status: ok ? 'pass' : 'fail', checks, note };
}

export function worst(checks: Check[]): Check | undefined {
  return [...checks].sort((a, b) => b.err / b.tol - a.err / a.tol)[0];
}
