// `npm run bench -- [--cases a,b] [--provider cpu] [--threads 2] [--runs 3] [--budget 600]
//                    [--out bench/results.json] [--peer bench/peer.json] [--cache DIR]`
// Runs each case in a fresh child process (peak RSS per case), writes the results with the machine's
// description to --out, and prints a Markdown table with the peer's figures beside ours when --peer
// names the JSON written by ../shared/peer/bench_peer.py. Benchmarks, not tests: nothing is asserted.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sidecarEnv } from '../protocol/sidecar-env';
import { PROVIDERS, type ProviderName } from '../protocol/vocabulary';
import { RESULT_MARK, type CaseOptions, type CaseResult } from './case';
import { CASES } from './cases';
import { resultsTable, type PeerRun } from './report';

const { values: a } = parseArgs({
  options: {
    cases: { type: 'string' },
    provider: { type: 'string', default: 'cpu' },
    threads: { type: 'string', default: '2' },
    runs: { type: 'string', default: '3' },
    budget: { type: 'string', default: '600' },
    out: { type: 'string', default: join('bench', 'results.json') },
    peer: { type: 'string' },
    cache: { type: 'string', default: join(tmpdir(), 'dreambooth-bench') },
  },
});
if (!PROVIDERS.includes(a.provider as ProviderName)) throw new Error(`--provider must be one of ${PROVIDERS.join(', ')}`);
const names = a.cases ? a.cases.split(',') : CASES.map((c) => c.name);
const opts: CaseOptions = { provider: a.provider as ProviderName, threads: Number(a.threads), runs: Number(a.runs), budgetS: Number(a.budget), cacheDir: a.cache as string };

const machine = {
  date: new Date().toISOString(),
  cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  onnxruntime: (JSON.parse(readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8')) as { version: string }).version,
  loadavgStart: loadavg().map((x) => x.toFixed(2)),
  loadavgEnd: [] as string[],
};

/** The child script: bundled beside this file when run from a bundle, else the TypeScript source. */
function childEntry(): string[] {
  const bundled = join(__dirname, 'bench-child.js');
  return existsSync(bundled) ? [bundled] : ['--import', 'tsx', join(__dirname, 'child.ts')];
}

const results: CaseResult[] = [];
const save = () => writeFileSync(a.out as string, JSON.stringify({ machine, options: opts, results }, null, 1) + '\n');
for (const name of names) {
  process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${name} on ${opts.provider}…\n`);
  const child = spawnSync(process.execPath, [...childEntry(), name, JSON.stringify(opts)], {
    env: sidecarEnv(process.env), // as the product's sidecar and CLI run
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
  const r: CaseResult = line
    ? (JSON.parse(line.slice(RESULT_MARK.length)) as CaseResult)
    : { name, what: '', provider: opts.provider, threads: opts.threads, error: `child exited ${child.status ?? child.signal}: ${child.stderr.slice(-1500)}` };
  results.push(r);
  save(); // after every case, so a run cut short keeps what it measured
  process.stderr.write(`[bench]   ${r.error ? `error: ${r.error.slice(0, 300)}` : `median ${r.medianS} s, peak ${r.peakRssMiB} MiB`}\n`);
}
machine.loadavgEnd = loadavg().map((x) => x.toFixed(2));

const peer = a.peer && existsSync(a.peer) ? ((JSON.parse(readFileSync(a.peer, 'utf8')) as { runs?: PeerRun[] }).runs ?? []) : [];
save();
console.log(`\n${machine.date} · ${machine.cpu} · ${machine.memoryGiB} GiB · Node ${machine.node} · onnxruntime-node ${machine.onnxruntime} · ${opts.provider}, ${opts.threads} threads · load ${machine.loadavgStart.join(' ')} → ${machine.loadavgEnd.join(' ')}\n`);
console.log(resultsTable(results, peer));
console.log(`\nwrote ${a.out}`);
