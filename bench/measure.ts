// Timing one model: session creation, one warm-up run, then timed runs within a time budget.
import { performance } from 'node:perf_hooks';
import type { HostTensor, Runtime } from '../sidecar/runtime/runtime';
import type { CaseOptions, CaseResult, Timed } from './case';

const seconds = (ms: number) => Math.round(ms) / 1000;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function timeModel(rt: Runtime, name: string, t: Timed, opts: CaseOptions): Promise<Partial<CaseResult>> {
  let t0 = performance.now();
  const session = await rt.load(t.source, { name, ...t.load });
  const loadS = seconds(performance.now() - t0);
  const runOnce = async () => {
    t0 = performance.now();
    const out = await session.run(t.feeds);
    return { s: seconds(performance.now() - t0), first: Object.values(out)[0] as HostTensor };
  };
  const warm = await runOnce();
  const firstRunS = seconds(performance.now()); // performance.now() counts from this process's start
  const timesS: number[] = [];
  let last = warm.first;
  while (timesS.length < opts.runs && (timesS.length === 0 || timesS.reduce((a, b) => a + b, 0) < opts.budgetS)) {
    const r = await runOnce();
    timesS.push(r.s);
    last = r.first;
  }
  await session.release();
  const data = last.data as Float32Array;
  return {
    buildS: t.buildS,
    loadS,
    firstRunS,
    note: t.note,
    warmupS: [warm.s],
    timesS,
    medianS: median(timesS),
    minS: Math.min(...timesS),
    gflop: t.gflop,
    outputShape: [...last.dims],
    outputFinite: last.dtype === 'float32' ? data.every(Number.isFinite) : undefined,
  };
}
