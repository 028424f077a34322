// Whole jobs as a user runs them, launch to exit, with the operating system's own accounting of wall
// time and peak memory (/usr/bin/time): `dreambooth generate` at SD 1.5 size (4 and 20 DDIM steps, 512²,
// guidance 7.5), warm (staged models cached) and cold (empty cache: the first run after install), and
// `dreambooth train` (6 photos + 6 class images, 512², LoRA, 2 steps, a sample and the export). With
// --peer-python the peer's own whole job (../shared/peer/peer_generate.py run) is timed in turn with
// ours, A B A B, so each pair shares the machine's state.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sidecarEnv } from '../protocol/sidecar-env';
import type { ProviderName } from '../protocol/vocabulary';
import { median } from './measure';

const ROOT = resolve(__dirname, '..');
const CLI = join(ROOT, 'bin', 'dreambooth.js');

export interface JobOptions {
  model: string;
  runs: number;
  work: string;
  /** The peer's Python (PYTHONPATH set by the caller), to time its whole job beside ours. */
  peerPython?: string;
  /** Our jobs' --provider (default: the CLI's choice, the best available). */
  provider?: ProviderName;
}

const providerArgs = (o: JobOptions) => (o.provider ? ['--provider', o.provider] : []);

interface Job {
  name: string;
  what: string;
  ours(o: JobOptions): { argv: string[]; env?: NodeJS.ProcessEnv };
  peer?(o: JobOptions): string[];
}

export interface JobResult {
  name: string;
  what: string;
  wallS: number[];
  peakMiB: number[];
  peerWallS?: number[];
  peerPeakMiB?: number[];
  error?: string;
}

const generate = (steps: number, cold: boolean): Job => ({
  name: `generate_sd15_${steps}${cold ? '_cold' : ''}`,
  what: `dreambooth generate, SD 1.5 size (float16 folder), 512², ${steps} DDIM steps, guidance 7.5, 1 image, ${cold ? 'empty cache (first run after install)' : 'cache warm'}`,
  ours: (o) => {
    const cache = join(o.work, cold ? 'cold-cache' : 'cache');
    if (cold) rmSync(cache, { recursive: true, force: true });
    return {
      argv: [CLI, 'generate', '--model', o.model, '--prompt', 'a photo of a cat', '--steps', String(steps), '--sampler', 'ddim', '--guidance', '7.5', '--width', '512', '--height', '512', '--count', '1', '--seed', '1', '--out', join(o.work, 'ours'), ...providerArgs(o)],
      env: { DREAMBOOTH_CACHE: cache },
    };
  },
  peer: (o) => [o.peerPython!, join(ROOT, '..', 'shared', 'peer', 'peer_generate.py'), 'run', o.model, join(o.work, 'peer'), '--steps', String(steps), '--size', '512x512', '--seed', '1', '--sampler', 'ddim'],
});

const trainJob: Job = {
  name: 'train_sd15_job',
  what: 'dreambooth train, SD 1.5 size: 6 photos + 6 class images, 512², LoRA rank 4, 2 steps, then the sample image (4 DDIM steps) and the export',
  ours: (o) => {
    const dir = join(o.work, 'train');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    cpSync(join(ROOT, 'examples', 'zwx', 'photos'), join(dir, 'photos'), { recursive: true });
    cpSync(join(ROOT, 'examples', 'zwx', 'photos'), join(dir, 'class'), { recursive: true });
    writeFileSync(
      join(dir, 'zwx.dreambooth'),
      `model "${o.model}"\noutput "./runs"\nconcept zwx {\n  instance_prompt "photo of zwx person"\n  class_prompt "photo of a person"\n  instance_images "./photos"\n  class_images "./class"\n  num_class_images 6\n}\ntrain {\n  method lora\n  steps 2\n  resolution 512\n  seed 42\n  save_every 0\n}\ngenerate sample {\n  prompt "photo of zwx person"\n  steps 4\n  sampler ddim\n  size 512x512\n}\n`,
    );
    return { argv: [CLI, 'train', join(dir, 'zwx.dreambooth'), ...providerArgs(o)], env: { DREAMBOOTH_CACHE: join(o.work, 'cache') } };
  },
};

export const JOBS: Job[] = [generate(4, false), generate(4, true), generate(20, false), generate(20, true), trainJob];

/** Runs argv under GNU time (/usr/bin/time, or TIME_BIN: a copy carried to a machine without it); wall
 *  seconds and peak RSS (MiB) of the largest process. */
function timed(argv: string[], env: NodeJS.ProcessEnv): { wallS: number; peakMiB: number } {
  const time = process.env.TIME_BIN ?? '/usr/bin/time';
  if (!existsSync(time)) throw new Error(`whole-job cases need GNU time at ${time} (Debian: apt-get install time; elsewhere set TIME_BIN)`);
  const r = spawnSync(time, ['-f', 'TIMED %e %M', ...argv], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const m = /TIMED ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${argv.slice(0, 3).join(' ')} … exited ${r.status}: ${r.stderr.slice(-800)}`);
  return { wallS: Number(m[1]), peakMiB: Math.round(Number(m[2]) / 1024) };
}

export function runJob(name: string, o: JobOptions): JobResult {
  const job = JOBS.find((j) => j.name === name);
  if (!job) throw new Error(`unknown job "${name}"; jobs: ${JOBS.map((j) => j.name).join(', ')}`);
  const r: JobResult = { name, what: job.what, wallS: [], peakMiB: [], ...(job.peer && o.peerPython ? { peerWallS: [], peerPeakMiB: [] } : {}) };
  try {
    for (let i = 0; i < o.runs; i++) {
      const ours = job.ours(o);
      const a = timed([process.execPath, ...ours.argv], sidecarEnv({ ...ours.env }));
      r.wallS.push(a.wallS);
      r.peakMiB.push(a.peakMiB);
      if (job.peer && o.peerPython) {
        const b = timed(job.peer(o), {});
        r.peerWallS!.push(b.wallS);
        r.peerPeakMiB!.push(b.peakMiB);
      }
    }
  } catch (e) {
    r.error = (e as Error).message;
  }
  return r;
}

export function jobsTable(results: JobResult[]): string {
  const rows = ['| job | what | ours wall s, median (n) | ours peak MiB | peer wall s, median | peer peak MiB | time ÷ peer (pairs) | memory ÷ peer |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of results) {
    if (r.error && !r.wallS.length) {
      rows.push(`| ${r.name} | ${r.what} | error: ${r.error.split('\n')[0]!.slice(0, 160)} | | | | | |`);
      continue;
    }
    const pairs = r.peerWallS?.map((p, i) => (r.wallS[i]! / p).toFixed(2)) ?? [];
    const mem = r.peerPeakMiB?.length ? (median(r.peakMiB) / median(r.peerPeakMiB)).toFixed(2) : '–';
    rows.push(
      `| ${r.name} | ${r.what} | ${median(r.wallS).toFixed(1)} (${r.wallS.length}) | ${median(r.peakMiB)} | ${r.peerWallS?.length ? median(r.peerWallS).toFixed(1) : '–'} | ${r.peerPeakMiB?.length ? median(r.peerPeakMiB) : '–'} | ${pairs.length ? pairs.join(', ') : '–'} | ${mem} |`,
    );
  }
  return rows.join('\n');
}
