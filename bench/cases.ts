// Every benchmark case by name, in the default order.
import type { BenchCase } from './case';
import { blockForward } from './block';
import { BLOCK_BACKWARD_CASES } from './block-backward';
import { SD_CASES } from './sd';
import { TRAIN_CASES } from './train';

export const CASES: BenchCase[] = [
  blockForward('conv'),
  blockForward('attention'),
  blockForward('block'),
  ...BLOCK_BACKWARD_CASES,
  ...SD_CASES,
  ...TRAIN_CASES,
];

export function findCase(name: string): BenchCase {
  const c = CASES.find((x) => x.name === name);
  if (!c) throw new Error(`unknown bench case "${name}"; cases: ${CASES.map((x) => x.name).join(', ')}`);
  return c;
}
