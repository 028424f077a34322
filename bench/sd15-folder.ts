// An SD 1.5-sized diffusers folder with random weights (shapes and configs from fixtures/sd15-keys.json,
// tokenizer and scheduler from the bundled tiny model), float16 on disk as SD 1.5's fp16 variant ships —
// the model the whole-job benchmarks load when the peer's own (`peer_generate.py make`) is not at hand.
//   node --import tsx bench/sd15-folder.ts DIR [float16|float32]
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeRandomSafetensors, type WeightDType } from './random-weights';

const ROOT = join(__dirname, '..');
const FILES = { unet: 'diffusion_pytorch_model.safetensors', vae: 'diffusion_pytorch_model.safetensors', text_encoder: 'model.safetensors' } as const;

export async function writeSd15Folder(dir: string, dtype: WeightDType = 'float16'): Promise<string> {
  if (existsSync(join(dir, 'model_index.json'))) return dir;
  const m = JSON.parse(readFileSync(join(ROOT, 'fixtures', 'sd15-keys.json'), 'utf8')) as {
    configs: Record<keyof typeof FILES, object>;
    diffusers: Record<keyof typeof FILES, Record<string, { shape: number[] }>>;
  };
  const tiny = join(ROOT, 'fixtures', 'tiny-sd');
  for (const c of Object.keys(FILES) as (keyof typeof FILES)[]) {
    mkdirSync(join(dir, c), { recursive: true });
    writeFileSync(join(dir, c, 'config.json'), JSON.stringify(m.configs[c], null, 1));
    const shapes = Object.fromEntries(Object.entries(m.diffusers[c]).map(([k, v]) => [k, v.shape]));
    await writeRandomSafetensors(join(dir, c, FILES[c]), shapes, dtype);
  }
  cpSync(join(tiny, 'tokenizer'), join(dir, 'tokenizer'), { recursive: true });
  cpSync(join(tiny, 'scheduler'), join(dir, 'scheduler'), { recursive: true });
  writeFileSync(join(dir, 'model_index.json'), readFileSync(join(tiny, 'model_index.json'))); // written last: marks the folder complete
  return dir;
}

if (require.main === module) {
  const [dir, dtype = 'float16'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: bench/sd15-folder.ts DIR [float16|float32]');
  writeSd15Folder(dir, dtype as WeightDType).then((d) => console.log(`wrote ${d}`));
}
