// The benchmark's table, as Markdown (bench/QUALITY.md records it).
import type { QualityRow } from './metrics';

const pct = (x: number) => (Number.isNaN(x) ? '–' : `${Math.round(x * 100)}%`);

export function qualityTable(rows: readonly { name: string; row: QualityRow }[]): string {
  const head = '| row | shape | colour | background | all three | ohwx recognised | ohwx similarity | prior: a shape | prior: ohwx | prior diversity |';
  const lines = rows.map(({ name, row: r }) =>
    `| ${name} | ${pct(r.fidelity.shape)} | ${pct(r.fidelity.colour)} | ${pct(r.fidelity.background)} | ${pct(r.fidelity.all)} | ${pct(r.identity.recognised)} | ${r.identity.similarity.toFixed(2)} | ${pct(r.prior.shape)} | ${pct(r.prior.subject)} | ${r.prior.diversity.toFixed(2)} |`,
  );
  return [head, `|${' --- |'.repeat(10)}`, ...lines].join('\n');
}
