// Markdown for bench results, with the peer's figures (diffusers on PyTorch, bench_peer.py) beside ours.
import type { CaseResult } from './case';

export interface PeerRun {
  case: string;
  median_s?: number;
  min_s?: number;
  peak_rss_mib?: number;
  error?: string;
  started?: string;
}

const fmt = (x: number | undefined, digits = 3) => (x === undefined ? '–' : x.toFixed(digits).replace(/\.?0+$/, ''));

/** Our cases whose peer counterpart has another name. */
const PEER_CASE: Record<string, string> = { lora_train_sd15: 'lora_train64' };

/** The peer's case for one of ours (our fp16 variants compare against the peer's fp32 run). */
function peerFor(name: string, peer: PeerRun[]): PeerRun[] {
  const base = PEER_CASE[name] ?? name.replace(/_fp16$/, name.startsWith('unet') ? '_fp32' : '');
  return peer.filter((p) => p.case === base && p.median_s !== undefined);
}

export function resultsTable(results: CaseResult[], peer: PeerRun[] = []): string {
  const rows = [
    '| case | what | median s (n) | min s | GFLOP/s | peak RSS MiB | peer median s | peer peak MiB | time ÷ peer | memory ÷ peer |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    const p = peerFor(r.name, peer);
    const pm = p.length ? p.map((x) => x.median_s as number).sort((a, b) => a - b)[p.length >> 1] : undefined;
    const pr = p.length ? Math.max(...p.map((x) => x.peak_rss_mib ?? 0)) : undefined;
    const t = r.error ? `error: ${r.error.split('\n')[0]!.slice(0, 160)}` : `${fmt(r.medianS)} (${r.timesS?.length})`;
    const gf = r.gflop && r.medianS ? fmt(r.gflop / r.medianS, 0) : '–';
    const ratio = pm && r.medianS ? fmt(r.medianS / pm, 2) : '–';
    const mratio = pr && r.peakRssMiB && !r.error ? fmt(r.peakRssMiB / pr, 2) : '–';
    rows.push(`| ${r.name} | ${r.what} | ${t} | ${fmt(r.minS)} | ${gf} | ${r.peakRssMiB ?? '–'} | ${p.length ? `${fmt(pm)} (${p.length} runs)` : '–'} | ${pr ?? '–'} | ${ratio} | ${mratio} |`);
  }
  return rows.join('\n');
}
