// A component's float16 filters in MLAS's blocked layout, for the CPU provider's NCHWc Convs
// (onnx/nchwc.ts): one file in the cache, built the first time (SD 1.5's UNet: 589 M filter weights,
// 1.1 GiB, a few seconds, once per model and block size), shared by the staged models of every image
// size and read in place. The filters' original bytes are then never touched: memory holds one copy,
// as stored.
import { open } from 'node:fs/promises';
import type { Graph } from '../graph/graph';
import { blockableFilters, blockFilter } from '../onnx/nchwc';
import type { WeightSource } from '../onnx/emit';
import { fileIdentity, stageBuilt } from '../runtime/stage';
import type { TensorRef } from '../weights/checkpoint';
import { readRefBytes } from '../weights/tensor-ref';

/** Bumped when the file's layout changes, so no staged copy of an older one is reused. */
const LAYOUT = 'OIHWBiBo v1';

/** The graph's blockable filters stored as 2-byte floats (float32 ones ORT blocks itself, being constant),
 *  each with where its blocked bytes are (a range of the built file); empty when none is blocked. */
export async function blockedFilters(graph: Graph, bound: ReadonlyMap<string, TensorRef>, block: number, cacheDir: string, skip?: ReadonlyMap<string, unknown>): Promise<Map<string, WeightSource>> {
  const picked = blockableFilters(graph, block).flatMap((p) => {
    const t = bound.get(p.name);
    return t && !skip?.has(p.name) && (t.dtype === 'F16' || t.dtype === 'BF16') ? [{ name: p.name, shape: p.shape as number[], t }] : [];
  });
  const sources = new Map<string, WeightSource>();
  if (!picked.length) return sources;
  const ids = new Map<string, string>();
  for (const f of new Set(picked.map((x) => x.t.file))) ids.set(f, await fileIdentity(f));
  const key = [LAYOUT, `block ${block}`, ...picked.map(({ name, shape, t }) => `${name} ${shape} ${t.file} ${ids.get(t.file)} ${t.offset} ${t.length} ${t.dtype}`)].join('\n');
  let path: string;
  try {
    const size = picked.reduce((n, { t }) => n + t.length, 0);
    path = await stageBuilt(cacheDir, `filters-nchwc${block}.bin`, key, size, (to) => writeBlocked(to, picked, block));
  } catch {
    // A full disk or an unwritable cache costs speed, not the job: the plain layout needs no file. (A
    // weight file that cannot be read fails the load that follows, with its own message.)
    return sources;
  }
  let offset = 0;
  for (const { name, t } of picked) {
    sources.set(name, { kind: 'file', path, offset, length: t.length, dtype: t.dtype as 'F16' | 'BF16' });
    offset += t.length;
  }
  return sources;
}

/** Writes the filters blocked, in order, one tensor in memory at a time. */
async function writeBlocked(path: string, filters: { name: string; shape: number[]; t: TensorRef }[], block: number): Promise<void> {
  const out = await open(path, 'w');
  try {
    for (const { shape, t } of filters) {
      const bytes = await readRefBytes(t);
      const blocked = blockFilter(new Uint16Array(bytes.buffer, bytes.byteOffset, t.length / 2), shape, block);
      await out.write(new Uint8Array(blocked.buffer));
    }
  } finally {
    await out.close();
  }
}
