// The legacy format of torch.save (PyTorch < 1.6, and `_use_new_zipfile_serialization=False`): five
// pickles in a row (magic number, protocol version 1001, system info, the object, the list of storage
// keys), then each storage in that order as an 8-byte element count and its raw bytes. Storages are
// byte ranges of the file, so tensors are referenced in place just like the zip format's.
import type { FileHandle } from 'node:fs/promises';
import { DTYPES } from './safetensors-dtypes';
import { unpickleAt } from './pickle/reader';
import { PickleError, PyDict, TorchStorage, describe, type PyValue } from './pickle/values';
import { parseStorageId } from './torch-storage';
import { MAX_PICKLE_BYTES, type TorchContainer } from './torch-zip';

const MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

async function readAt(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

/** The pickles at the head of the file, read from a growing prefix (they are small; the storages follow). */
async function readPickles(fh: FileHandle, fileSize: number) {
  for (let n = Math.min(fileSize, 1 << 20); ; n = Math.min(fileSize, n * 8, MAX_PICKLE_BYTES)) {
    try {
      return parsePickles(await readAt(fh, 0, n));
    } catch (e) {
      if (!(e instanceof PickleError && e.truncated && n < fileSize && n < MAX_PICKLE_BYTES)) throw e;
    }
  }
}

function parsePickles(head: Uint8Array) {
  let pos = 0;
  const next = (persistentLoad?: (pid: PyValue) => PyValue) => {
    const r = unpickleAt(head, pos, { persistentLoad });
    pos = r.end;
    return r.value;
  };
  const magic = next();
  if (magic !== MAGIC) throw new PickleError(`a pickle that is not a torch.save checkpoint (it starts with ${describe(magic)}, not torch's magic number)`);
  const version = next();
  if (version !== PROTOCOL_VERSION) throw new PickleError(`legacy torch.save protocol version ${describe(version)} is not supported (expected ${PROTOCOL_VERSION})`);
  const sysInfo = next();
  if (!(sysInfo instanceof PyDict) || sysInfo.map.get('little_endian') !== true)
    throw new PickleError('the tensors are stored big-endian (or the system info is missing); re-save it on a little-endian machine, or convert it to .safetensors');
  const found = new Map<string, TorchStorage>();
  const root = next((pid) => {
    const id = parseStorageId(pid);
    if (id.rest.length && id.rest[0] !== null) throw new PickleError(`storage ${id.key} is saved as a view of another storage (PyTorch < 0.4); re-save the file with a recent PyTorch, or convert it to .safetensors`);
    const seen = found.get(id.key);
    if (seen && seen.dtype !== id.dtype) throw new PickleError(`storage ${id.key} is referenced as both ${seen.dtype} and ${id.dtype}`);
    const storage = seen ?? new TorchStorage(id.key, id.dtype, id.numel);
    found.set(id.key, storage);
    return storage;
  });
  const keys = next();
  if (!Array.isArray(keys) || !keys.every((k): k is string => typeof k === 'string')) throw new PickleError(`the storage key list is a ${describe(keys)}, not a list of strings`);
  return { root, found, keys, dataStart: pos };
}

export async function readTorchLegacy(fh: FileHandle, fileSize: number): Promise<TorchContainer> {
  const { root, found, keys, dataStart } = await readPickles(fh, fileSize);
  const storages = new Map<string, { start: number; bytes: number }>();
  let pos = dataStart;
  for (const key of keys) {
    const s = found.get(key);
    if (!s) throw new PickleError(`storage ${key} is written but never referenced, so its element size is unknown (corrupt)`);
    const count = await readAt(fh, pos, 8);
    if (count.length < 8) throw new PickleError(`truncated: the file ends at byte ${pos + count.length} before storage ${key}`);
    const numel = new DataView(count.buffer).getBigInt64(0, true);
    if (numel !== BigInt(s.numel)) throw new PickleError(`storage ${key} is written with ${numel} elements but referenced with ${s.numel} (corrupt)`);
    const bytes = s.numel * DTYPES[s.dtype].itemSize;
    if (pos + 8 + bytes > fileSize) throw new PickleError(`truncated: storage ${key} (${bytes} bytes at ${pos + 8}) runs past the end of the ${fileSize}-byte file`);
    storages.set(key, { start: pos + 8, bytes });
    pos += 8 + bytes;
  }
  for (const key of found.keys()) if (!storages.has(key)) throw new PickleError(`storage ${key} is referenced but not in the file's storage list (corrupt)`);
  return { root, storages };
}
