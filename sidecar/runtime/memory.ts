// How much memory a job may use, so that it can refuse (or pick memory-saving options) before the
// kernel's OOM killer ends it mid-run and its results are lost.
//
//   DREAMBOOTH_MEMORY_LIMIT=6G   a hard budget (bytes, or with K/M/G/T, binary units), e.g. on a shared
//                                machine or to see the refusal; otherwise what the system can give now:
//                                MemAvailable (Linux) or free memory, plus what this process already holds.
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';

export interface MemoryBudget {
  bytes: number;
  /** Where the figure comes from, for messages. */
  source: string;
}

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** "6G", "4096M", "1.5g", "123456" → bytes; undefined when it does not parse. */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
}

export function formatGiB(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

function memAvailable(): number | undefined {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function memoryBudget(env: NodeJS.ProcessEnv = process.env): MemoryBudget {
  const limit = env.DREAMBOOTH_MEMORY_LIMIT;
  if (limit) {
    const bytes = parseBytes(limit);
    if (bytes === undefined) throw new Error(`DREAMBOOTH_MEMORY_LIMIT="${limit}" is not a size; write it like 6G or 4096M`);
    return { bytes, source: `DREAMBOOTH_MEMORY_LIMIT=${limit}` };
  }
  const available = memAvailable();
  const held = process.memoryUsage().rss;
  return available !== undefined
    ? { bytes: available + held, source: 'memory available on this machine' }
    : { bytes: freemem() + held, source: 'free memory on this machine' };
}
