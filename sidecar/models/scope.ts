// The graph's naming scope, reached from a value: model code names modules exactly like the
// checkpoint (`down_blocks.0.resnets.1`), so a parameter's full path is its weight key.
import type { Graph } from '../graph/graph';
import type { Value } from '../graph/types';

export function graphOf(x: Value): Graph {
  return x.graph as Graph;
}

/** Runs `fn` inside module `name` (dotted names such as `to_out.0` are one module path). */
export function module<T>(x: Value, name: string | number, fn: () => T): T {
  return graphOf(x).scope(name, fn);
}
