// The zip format of torch.save (PyTorch ≥ 1.6): `<archive>/data.pkl` is the pickled object, each
// storage a stored (uncompressed, 64-byte aligned) entry `<archive>/data/<key>` referenced from the
// pickle by persistent id, plus `version`, `byteorder` and other small records.
import type { FileHandle } from 'node:fs/promises';
import { DTYPES } from './safetensors-dtypes';
import { entryDataOffset, readEntry, readZipDirectory, ZipError, type ZipEntry } from './zip';
import { unpickle } from './pickle/reader';
import { PickleError, TorchStorage, type PyValue } from './pickle/values';
import { parseStorageId } from './torch-storage';

/** What a torch container yields: the saved object, and where each storage's bytes are in the file. */
export interface TorchContainer {
  root: PyValue;
  storages: Map<string, { start: number; bytes: number }>;
}

/** data.pkl of an SD checkpoint is a few hundred KB; beyond this it is not a checkpoint. */
export const MAX_PICKLE_BYTES = 256 * 1024 * 1024;

export async function readTorchZip(fh: FileHandle, file: string, fileSize: number): Promise<TorchContainer> {
  const entries = await readZipDirectory(fh, file, fileSize);
  const pkls = [...entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1)
    throw new ZipError(file, pkls.length ? `${pkls.length} data.pkl records (${pkls.join(', ')}): ambiguous` : 'a zip without <archive>/data.pkl: not a torch.save checkpoint');
  const prefix = pkls[0]!.slice(0, -'data.pkl'.length);
  const order = entries.get(`${prefix}byteorder`);
  if (order) {
    const text = new TextDecoder().decode(await readEntry(fh, file, order, fileSize, 16));
    if (text !== 'little') throw new ZipError(file, `the tensors are stored ${text}-endian; only little-endian checkpoints are read (re-save it on a little-endian machine, or convert it to .safetensors)`);
  }
  const pickle = await readEntry(fh, file, entries.get(pkls[0]!)!, fileSize, MAX_PICKLE_BYTES);
  const found = new Map<string, { storage: TorchStorage; entry: ZipEntry }>();
  const root = unpickle(pickle, {
    persistentLoad: (pid) => {
      const id = parseStorageId(pid);
      const seen = found.get(id.key)?.storage;
      if (seen) {
        if (seen.dtype !== id.dtype) throw new PickleError(`storage ${id.key} is referenced as both ${seen.dtype} and ${id.dtype}`);
        return seen;
      }
      const entry = entries.get(`${prefix}data/${id.key}`);
      if (!entry) throw new PickleError(`storage ${id.key} has no record ${prefix}data/${id.key} in the zip (truncated or corrupt)`);
      if (entry.method !== 0) throw new PickleError(`storage record ${entry.name} is compressed; torch.save stores them uncompressed, so the file was re-zipped: re-save it with torch.save, or convert it to .safetensors`);
      const need = id.numel * DTYPES[id.dtype].itemSize;
      if (need > entry.size) throw new PickleError(`storage ${id.key} declares ${id.numel} ${id.dtype} elements (${need} bytes) but its record holds ${entry.size} bytes (truncated or corrupt)`);
      const storage = new TorchStorage(id.key, id.dtype, id.numel);
      found.set(id.key, { storage, entry });
      return storage;
    },
  });
  const storages = new Map<string, { start: number; bytes: number }>();
  for (const [key, { storage, entry }] of found) storages.set(key, { start: await entryDataOffset(fh, file, entry, fileSize), bytes: storage.numel * DTYPES[storage.dtype].itemSize });
  return { root, storages };
}
