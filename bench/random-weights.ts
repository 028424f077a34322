// Random weights for benchmarks: deterministic uniform values with torch's default scale
// (±1/√fan_in for weights; norms 1 and biases 0 as after initialisation), in memory for small graphs
// or streamed to a .safetensors file for SD-size models (so the benchmark process never holds them).
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { toHalfBits } from '../sidecar/onnx/values';

export type WeightDType = 'float32' | 'float16';
const BYTES: Record<WeightDType, number> = { float32: 4, float16: 2 };
const ST_NAME: Record<WeightDType, string> = { float32: 'F32', float16: 'F16' };

/** Scale and constant of one parameter, by its name and shape. */
function initOf(name: string, shape: readonly number[]): { scale: number; constant?: number } {
  const norm = /norm/.test(name);
  if (name.endsWith('.bias')) return { scale: 0, constant: 0 };
  if (norm && name.endsWith('.weight')) return { scale: 0, constant: 1 };
  const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, d) => a * d, 1) : shape[0]!; // (no SD weight is a scalar)
  return { scale: 1 / Math.sqrt(fanIn) };
}

/** Fills `n` values of a parameter into bytes of `dtype`, from a per-parameter seed. */
export function randomParam(name: string, shape: readonly number[], dtype: WeightDType, seed = 1): Uint8Array {
  const n = shape.reduce((a, d) => a * d, 1);
  const { scale, constant } = initOf(name, shape);
  let s = seed >>> 0;
  for (let i = 0; i < name.length; i++) s = (Math.imul(s ^ name.charCodeAt(i), 16777619) + 1) >>> 0;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32) * 2 - 1;
  };
  if (dtype === 'float32') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = constant ?? scale * next();
    return new Uint8Array(out.buffer);
  }
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = toHalfBits(constant ?? scale * next());
  return new Uint8Array(out.buffer);
}

/** Streams random parameters for `shapes` into a .safetensors at `path` (kept if it already exists). */
export async function writeRandomSafetensors(path: string, shapes: Record<string, readonly number[]>, dtype: WeightDType): Promise<void> {
  if (existsSync(path)) return;
  await mkdir(dirname(path), { recursive: true });
  const header: Record<string, { dtype: string; shape: readonly number[]; data_offsets: [number, number] }> = {};
  let at = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const len = shape.reduce((a, d) => a * d, 1) * BYTES[dtype];
    header[name] = { dtype: ST_NAME[dtype], shape, data_offsets: [at, at + len] };
    at += len;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const tmp = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const write = async (b: Uint8Array) => {
    if (!out.write(b)) await once(out, 'drain');
  };
  await write(len);
  await write(Buffer.from(json));
  for (const [name, shape] of Object.entries(shapes)) await write(randomParam(name, shape, dtype));
  out.end();
  await once(out, 'finish');
  await rename(tmp, path);
}
