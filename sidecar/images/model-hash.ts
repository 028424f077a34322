// The "Model hash" AUTOMATIC1111 writes into infotext: the first 10 hex digits of the SHA-256 of the
// whole checkpoint file (its "shorthash"). Hashing gigabytes takes seconds, so results are cached
// per process by path, size and modification time.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

const cache = new Map<string, string>();

export async function modelHash(path: string): Promise<string> {
  const s = await stat(path);
  const key = `${path}\0${s.size}\0${s.mtimeMs}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  const short = hash.digest('hex').slice(0, 10);
  cache.set(key, short);
  return short;
}
