// Runs one benchmark case in this (fresh) process and prints its result as one JSON line, so that the
// peak RSS is this case's alone. Usage (from run.ts): child.ts CASE '{"provider":"cpu",...}'
import { openRuntime } from '../sidecar/runtime/runtime';
import { RESULT_MARK, type CaseOptions, type CaseResult } from './case';
import { findCase } from './cases';
import { timeModel } from './measure';

async function main(): Promise<void> {
  const [name, optsJson] = process.argv.slice(2);
  if (!name || !optsJson) throw new Error('usage: child.ts CASE OPTIONS_JSON');
  const opts = JSON.parse(optsJson) as CaseOptions;
  const c = findCase(name);
  const result: CaseResult = { name, what: c.what, provider: opts.provider, threads: opts.threads };
  const rt = await openRuntime({ providers: [opts.provider], threads: opts.threads });
  try {
    if (rt.provider !== opts.provider) throw new Error(`provider ${opts.provider} unavailable: ${rt.report.find((r) => r.name === opts.provider)?.reason}`);
    Object.assign(result, await timeModel(rt, name, await c.prepare(opts, rt), opts));
  } catch (e) {
    result.error = (e instanceof Error ? e.message : String(e)).slice(0, 2000);
  } finally {
    await rt.close().catch(() => undefined);
  }
  result.peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
}

void main();
