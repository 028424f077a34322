// Listing the models in a Hugging Face cache (the gallery's model picker): diffusers repos by id,
// top-level single-file checkpoints by id/file, the revision "main" preferred, dangling links and
// other repo kinds left out.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { listCachedModels } from '../../sidecar/hub/cache';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

/** snapshots/<commit>/<path> as huggingface_hub writes it: a relative link into blobs/. */
async function file(root: string, repoDir: string, commit: string, path: string): Promise<void> {
  const blob = join(root, repoDir, 'blobs', `${commit}-${path.replace(/\W/g, '_')}`);
  await mkdir(dirname(blob), { recursive: true });
  await writeFile(blob, '{}');
  const link = join(root, repoDir, 'snapshots', commit, path);
  await mkdir(dirname(link), { recursive: true });
  await symlink(blob, link);
}

test('listCachedModels names diffusers repos and single-file checkpoints the way a job opens them', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hf-cache-'));
  // A diffusers repo at refs/main, with an older snapshot that also had a single file.
  await file(root, 'models--sd-legacy--sd-v1-5', A, 'model_index.json');
  await file(root, 'models--sd-legacy--sd-v1-5', A, 'unet/diffusion_pytorch_model.safetensors');
  await file(root, 'models--sd-legacy--sd-v1-5', B, 'old.safetensors');
  await mkdir(join(root, 'models--sd-legacy--sd-v1-5', 'refs'), { recursive: true });
  await writeFile(join(root, 'models--sd-legacy--sd-v1-5', 'refs', 'main'), A);
  // A single-file repo without refs (downloaded by commit), one link dangling.
  await file(root, 'models--someone--my-model', B, 'my-model.safetensors');
  await mkdir(join(root, 'models--someone--my-model', 'snapshots', B), { recursive: true });
  await symlink(join(root, 'nowhere'), join(root, 'models--someone--my-model', 'snapshots', B, 'gone.safetensors'));
  // Not models: a dataset, a repo with neither, a stray file.
  await file(root, 'datasets--x--y', A, 'model_index.json');
  await file(root, 'models--x--tokenizer-only', A, 'tokenizer.json');
  await writeFile(join(root, 'version.txt'), '1');

  assert.deepEqual(await listCachedModels(root), ['sd-legacy/sd-v1-5', 'someone/my-model/my-model.safetensors']);
});

test('listCachedModels: a missing cache folder lists nothing', async () => {
  assert.deepEqual(await listCachedModels(join(tmpdir(), 'no-such-hf-cache-here')), []);
});
