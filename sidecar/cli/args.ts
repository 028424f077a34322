// Command-line options, one parser for every command: `--name value`, `--name=value`, boolean
// switches, and positional arguments. Mistakes are UsageErrors that show the command's help.
import { PROVIDERS, type ProviderName } from '../../protocol/vocabulary';
import { UsageError } from './usage';

/** `--help` or `-h` anywhere: prints `help` and says so (the command then exits 0). */
export function printedHelp(args: readonly string[], help: string): boolean {
  if (!args.includes('--help') && !args.includes('-h')) return false;
  process.stdout.write(help);
  return true;
}

export interface ArgSpec<V extends string, S extends string> {
  /** Options that take a value. */
  values: readonly V[];
  /** Options that are on when present. */
  switches: readonly S[];
  help: string;
}

export interface ParsedArgs<V extends string, S extends string> {
  flags: Partial<Record<V, string>>;
  on: Set<S>;
  positional: string[];
}

export function parseArgs<V extends string, S extends string>(args: string[], spec: ArgSpec<V, S>): ParsedArgs<V, S> {
  const out: ParsedArgs<V, S> = { flags: {}, on: new Set(), positional: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      out.positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if ((spec.switches as readonly string[]).includes(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      out.on.add(name as S);
    } else if ((spec.values as readonly string[]).includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      out.flags[name as V] = value;
    } else throw new UsageError(`unknown option "--${name}"\n\n${spec.help}`);
  }
  return out;
}

/** A numeric option, or `fallback` when absent. */
export function numberFlag(value: string | undefined, name: string, fallback: number, o: { integer: boolean; min?: number }): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const ok = value.trim() !== '' && Number.isFinite(n) && (!o.integer || Number.isInteger(n)) && (o.min === undefined || n >= o.min);
  if (!ok) throw new UsageError(`--${name} must be ${o.integer ? 'an integer' : 'a number'}${o.min !== undefined ? ` ≥ ${o.min}` : ''}, got "${value}"`);
  return n;
}

/** `--provider NAME` as the provider list a job takes (undefined: the best available). */
export function providerFlag(value: string | undefined): ProviderName[] | undefined {
  if (value === undefined) return undefined;
  if (!PROVIDERS.includes(value as ProviderName)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}, got "${value}"`);
  return [value as ProviderName];
}

/** Exactly one concept file among the positional arguments. */
export function oneConceptFile(positional: string[], help: string): string {
  if (positional.length !== 1) throw new UsageError(`give exactly one concept file\n\n${help}`);
  return positional[0]!;
}
