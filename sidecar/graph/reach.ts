import type { Value } from './types';

/** Values the outputs depend on. */
export function reachable(roots: readonly Value[]): Set<number> {
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v.id)) continue;
    seen.add(v.id);
    stack.push(...v.inputs);
  }
  return seen;
}
