// ORT-optimised models cached beside the staged model they came from (runtime/stage.ts), so a large
// graph — the 30k-node training step — is optimised once instead of at every start (9 s of 10 s of
// session creation for SD 1.5 on two CPU cores). The first start creates its session as usual and has
// ORT save the optimised graph; optimized-model.ts points that graph's weights back at the staged
// weight links (the copy ORT writes is compared byte for byte, then deleted) and restores the emitter's
// node order. Later starts load the saved graph with optimisation off.
//
//   name:  optimized-<key>-<content hash>.onnx in the staged model's folder, so the staged entry's key
//          (model bytes, weight file identity) is part of it and pruning/cleaning the cache removes it;
//          <key> covers the ORT build, provider, session options, CPU model and architecture (ORT's
//          layout transformers choose blocks for the CPU's vector width); threads are left out
//   integrity: the content hash is checked before loading; a mismatch or a failed load deletes the
//          file and the session is created (and saved) afresh
//   writes: ORT writes under temporary names (weights/temp-name.ts), the result is renamed into place;
//          temporaries a dead process left are removed
//   refusal: a graph whose weights ORT transforms (float32 convolution weights get a blocked layout)
//          would need its own copy of them; optimized-<key>.uncacheable records why, so later starts
//          neither save nor pay for writing the copy again
import { createHash } from 'node:crypto';
import { open, readFile, readdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { tempName, tempOwner } from '../weights/temp-name';
import { relinkSavedModel, type ByteRange } from './optimized-model';
import type { CacheOutcome } from './types';

type Options = InferenceSession.SessionOptions;

/** Bump when the cached file's meaning changes (what relinkSavedModel rewrites). */
const FORMAT = 1;
/** ORT puts initializers of at least this size into the external file; smaller ones stay inline. */
const EXTERNAL_MIN_BYTES = 1024;

export function optimizedKey(ortVersion: string, provider: string, opts: Options): string {
  const { intraOpNumThreads: _threads, interOpNumThreads: _inter, ...graphOptions } = opts;
  const what = { FORMAT, ortVersion, provider, graphOptions, cpu: cpus()[0]?.model ?? '', arch: process.arch, platform: process.platform };
  return sha16(JSON.stringify(what));
}

const sha16 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex').slice(0, 16);

/**
 * A session for the staged model at `onnxPath` with options `opts`, from the cached optimised graph
 * when there is a sound one, else created from `onnxPath` (saving the optimised graph for next time).
 */
export async function createWithCache<S>(
  onnxPath: string,
  opts: Options,
  key: string,
  create: (path: string, opts: Options) => Promise<S>,
): Promise<{ session: S; cache: CacheOutcome }> {
  const dir = dirname(onnxPath);
  const prefix = `optimized-${key}-`;
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix) || !name.endsWith('.onnx')) continue;
    const path = join(dir, name);
    const bytes = await readFile(path).catch(() => undefined);
    if (bytes && name === `${prefix}${sha16(bytes)}.onnx`) {
      const session = await create(path, { ...opts, graphOptimizationLevel: 'disabled' }).catch(() => undefined);
      if (session) return { session, cache: 'hit' };
    }
    await rm(path, { force: true }); // damaged, or not loadable: rebuilt below
  }
  await removeDeadTemps(dir);
  // A graph found uncacheable once (ORT transformed a weight) is not saved again at every start.
  const refusal = join(dir, `optimized-${key}.uncacheable`);
  const refused = await readFile(refusal, 'utf8').catch(() => undefined);
  const room = refused ?? (await roomToSave(dir));
  if (room) return { session: await create(onnxPath, opts), cache: { uncached: room } };

  const saved = tempName(join(dir, 'optimized.onnx'));
  const data = basename(tempName(join(dir, 'optimized.data')));
  const saving: Options = {
    // ORT warns on every save that a layout-optimised model suits only this CPU: the key says so already.
    logSeverityLevel: 3,
    ...opts,
    optimizedModelFilePath: saved,
    extra: {
      ...opts.extra,
      session: {
        ...(opts.extra as { session?: object } | undefined)?.session,
        optimized_model_external_initializers_file_name: data,
        optimized_model_external_initializers_min_size_in_bytes: String(EXTERNAL_MIN_BYTES),
      },
    },
  };
  const removeTemps = () => Promise.all([rm(saved, { force: true }), rm(join(dir, data), { force: true })]);
  let session: S;
  try {
    session = await create(onnxPath, saving);
  } catch {
    await removeTemps(); // saving may be what failed (a full disk): the session alone is what counts
    return { session: await create(onnxPath, opts), cache: { uncached: 'ORT could not save the optimised model' } };
  }
  try {
    const { bytes, checks } = relinkSavedModel(await readFile(saved), await readFile(onnxPath), data);
    await compareRanges(dir, checks);
    const target = join(dir, `${prefix}${sha16(bytes)}.onnx`);
    const tmp = tempName(target);
    await writeFile(tmp, bytes);
    await rename(tmp, target);
    return { session, cache: 'saved' };
  } catch (e) {
    const reason = (e as Error).message;
    // What the graph is (a transformed weight) is remembered; an I/O error (a full disk) may pass.
    if (!(e as NodeJS.ErrnoException).code) await writeFile(refusal, reason).catch(() => undefined);
    return { session, cache: { uncached: reason } };
  } finally {
    await removeTemps();
  }
}

/** Why the optimised model cannot be saved here (ORT first writes a copy of the weights), if it cannot. */
async function roomToSave(dir: string): Promise<string | undefined> {
  let weights = 0;
  for (const name of await readdir(dir)) if (!name.endsWith('.onnx')) weights += (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size;
  const fs = await statfs(dir).catch(() => undefined);
  if (!fs) return undefined;
  const free = fs.bavail * fs.bsize;
  return free < weights + 256 * 2 ** 20 ? `${Math.round(free / 2 ** 20)} MiB free in ${dir}, saving needs ${Math.round(weights / 2 ** 20) + 256}` : undefined;
}

/** Temporaries of a save whose process is gone (killed mid-save): the weight copy is large. */
async function removeDeadTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const pid = name.startsWith('optimized') ? tempOwner(name) : undefined;
    if (pid !== undefined && !alive(pid)) await rm(join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Throws unless every saved range holds the same bytes as its original. */
async function compareRanges(dir: string, checks: { name: string; saved: ByteRange; original: ByteRange }[]): Promise<void> {
  const handles = new Map<string, Awaited<ReturnType<typeof open>>>();
  const handle = async (location: string) => {
    let h = handles.get(location);
    if (!h) handles.set(location, (h = await open(join(dir, location), 'r')));
    return h;
  };
  const chunk = 8 * 2 ** 20;
  const a = Buffer.alloc(chunk);
  const b = Buffer.alloc(chunk);
  try {
    for (const c of checks) {
      const [ha, hb] = [await handle(c.saved.location), await handle(c.original.location)];
      for (let done = 0; done < c.saved.length; done += chunk) {
        const n = Math.min(chunk, c.saved.length - done);
        const [ra, rb] = await Promise.all([ha.read(a, 0, n, c.saved.offset + done), hb.read(b, 0, n, c.original.offset + done)]);
        if (ra.bytesRead !== n || rb.bytesRead !== n || a.compare(b, 0, n, 0, n) !== 0) throw new Error(`initializer "${c.name}" differs from the original weights after optimisation`);
      }
    }
  } finally {
    for (const h of handles.values()) await h.close();
  }
}
