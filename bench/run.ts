// `npm run bench -- [--cases a,b] [--provider cpu] [--threads 2] [--runs 3] [--budget 600]
//                    [--out bench/results.json] [--peer bench/peer.json] [--cache DIR]
//                    [--jobs all|a,b [--model DIR] [--peer-python PATH]]`
// --jobs times whole user jobs (bench/jobs.ts) instead of (or, with --cases, after) the model cases;
// --model is an SD 1.5-sized diffusers folder (default: one written by bench/sd15-folder.ts), and
// --peer-python the peer's Python (PYTHONPATH set) to time peer_generate.py in turn with ours.
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
import { JOBS, jobsTable, runJob, type JobOptions, type JobResult } from './jobs';
import { writeSd15Folder } from './sd15-folder';

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
    jobs: { type: 'string' },
    model: { type: 'string' },
    'peer-python': { type: 'string' },
  },
});
if (!PROVIDERS.includes(a.provider as ProviderName)) throw new Error(`--provider must be one of ${PROVIDERS.join(', ')}`);
const names = a.cases ? a.cases.split(',') : a.jobs ? [] : CASES.map((c) => c.name);
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
const jobResults: JobResult[] = [];
const save = () => writeFileSync(a.out as string, JSON.stringify({ machine, options: opts, results, jobs: jobResults }, null, 1) + '\n');
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

async function runJobs(): Promise<void> {
  if (!a.jobs) return;
  const model = a.model ?? (await writeSd15Folder(join(opts.cacheDir, 'sd15-fp16')));
  // --provider applies to our jobs only when given (the jobs otherwise run the CLI's own choice, as a user does).
  const provider = process.argv.some((x) => x === '--provider' || x.startsWith('--provider=')) ? opts.provider : undefined;
  const jobOpts: JobOptions = { model, runs: opts.runs, work: join(opts.cacheDir, 'jobs'), peerPython: a['peer-python'], provider };
  for (const name of a.jobs === 'all' ? JOBS.map((j) => j.name) : a.jobs.split(',')) {
    process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} job ${name}${jobOpts.peerPython ? ' (A B against the peer)' : ''}…\n`);
    const r = runJob(name, jobOpts);
    jobResults.push(r);
    writeFileSync(a.out as string, JSON.stringify({ machine, options: opts, results, jobs: jobResults }, null, 1) + '\n');
    process.stderr.write(`[bench]   ${r.error ? `error: ${r.error.slice(0, 300)}` : `wall ${r.wallS.join(', ')} s, peak ${r.peakMiB.join(', ')} MiB`}\n`);
  }
}

void runJobs().then(report);

function report(): void {
  machine.loadavgEnd = loadavg().map((x) => x.toFixed(2));

  const peer = a.peer && existsSync(a.peer) ? ((JSON.parse(readFileSync(a.peer, 'utf8')) as { runs?: PeerRun[] }).runs ?? []) : [];
  save();
  console.log(`\n${machine.date} · ${machine.cpu} · ${machine.memoryGiB} GiB · Node ${machine.node} · onnxruntime-node ${machine.onnxruntime} · ${opts.provider}, ${opts.threads} threads · load ${machine.loadavgStart.join(' ')} → ${machine.loadavgEnd.join(' ')}\n`);
  if (results.length) console.log(resultsTable(results, peer));
  if (jobResults.length) console.log(`\n${jobsTable(jobResults)}`);
  console.log(`\nwrote ${a.out}`);
}
