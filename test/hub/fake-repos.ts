// Fake Hub repos made from fixtures/tiny-sd: the diffusers files plus fp16 variants of the three
// weight files (as real SD repos carry both), and things an SD 1.x download must skip.
import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { f32ArrayToF16, readSafetensorsIndex, readTensor, toF32, writeSafetensors, type StWriteTensor } from '../../sidecar/weights/safetensors';
import type { RepoFiles } from './mock-hub';

export const TINY = join(__dirname, '../../fixtures/tiny-sd');
export const WEIGHTS = ['unet/diffusion_pytorch_model', 'vae/diffusion_pytorch_model', 'text_encoder/model'];

/** The same tensors in F16 (integer tensors kept), as diffusers' fp16 variant files hold them. */
async function toF16(path: string): Promise<Buffer> {
  const idx = await readSafetensorsIndex(path);
  const tensors: Record<string, StWriteTensor> = {};
  for (const e of idx.tensors.values()) {
    const t = await readTensor(idx, e.name);
    const float = e.dtype === 'F32' || e.dtype === 'F64' || e.dtype === 'BF16';
    tensors[e.name] = float ? { dtype: 'F16', shape: e.shape, data: f32ArrayToF16(toF32(t)) } : { dtype: e.dtype, shape: e.shape, data: t.data };
  }
  const out = join(mkdtempSync(join(tmpdir(), 'hub-fp16-')), 'w.safetensors');
  await writeSafetensors(out, tensors);
  return readFile(out);
}

/** fixtures/tiny-sd as repo files (without the test cases), plus fp16 variants and skipped extras. */
export async function tinySdRepo(): Promise<RepoFiles> {
  const files: RepoFiles = new Map();
  files.set('model_index.json', readFileSync(join(TINY, 'model_index.json')));
  for (const folder of ['scheduler', 'tokenizer', 'unet', 'vae', 'text_encoder'])
    for (const f of readdirSync(join(TINY, folder))) files.set(`${folder}/${f}`, readFileSync(join(TINY, folder, f)));
  for (const w of WEIGHTS) files.set(`${w}.fp16.safetensors`, await toF16(join(TINY, `${w}.safetensors`)));
  // Present on real SD 1.5 repos and never needed here:
  files.set('unet/diffusion_pytorch_model.bin', Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]));
  files.set('safety_checker/config.json', Buffer.from('{}'));
  files.set('safety_checker/model.safetensors', files.get('text_encoder/model.safetensors')!);
  files.set('feature_extractor/preprocessor_config.json', Buffer.from('{}'));
  files.set('README.md', Buffer.from('# tiny\n'));
  files.set('v1-5-pruned.ckpt', Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  return files;
}

/** The same repo where text_encoder/ only has a pickle. */
export function pickleOnly(repo: RepoFiles): RepoFiles {
  const files = new Map([...repo].filter(([p]) => !p.startsWith('text_encoder/model')));
  files.set('text_encoder/pytorch_model.bin', Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]));
  return files;
}
