// The prepare job (`dreambooth prepare` and the sidecar's prepare request): the images training will
// see, written out so the user can look at them before training.
//   1. each concept's instance images, prepared exactly as training prepares them (EXIF rotation,
//      square crop on the subject at the train block's resolution), as PNGs in
//      OUTPUT/prepared/<concept>/<photo name>.png; unreadable files are skipped and reported by name
//   2. each concept's class folder topped up to num_class_images with the base model
//   3. what it found per photo (warnings, skipped, ignored files) in OUTPUT/prepared/report.json, for
//      the Prepared Images panel
// Writes are atomic; cancellation is checked between images (and between denoising steps).
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { PreparedConcept, PreparedReport } from '../../protocol/prepared';
import type { PrepareParams } from '../../protocol/sidecar';
import { loadConcept } from '../../language/load';
import { runLayout } from '../../language/resolve';
import { writePng } from '../images/png';
import { resolveModel } from './model';
import type { ProviderName } from '../../protocol/vocabulary';
import { openRuntime, type Runtime } from '../runtime/runtime';
import { classImageOptions, missingClassImages, topUpClassImages } from './class-images';
import { listImages, nonImageFiles, prepareImage } from '../training/images';
import { checkCancelled, type JobContext } from '../context/job-context';
import { writeAtomic } from '../weights/atomic-file';

/** What the CLI and tests add to the protocol's parameters. */
export interface PrepareExtras {
  runtime?: Runtime;
  /** For the runtime opened when class images must be generated (without extras.runtime). */
  providers?: ProviderName[];
  /** Hard links / staged .onnx files for class-image generation (default: ~/.cache/dreambooth/onnx). */
  cacheDir?: string;
}

export interface PrepareResult {
  /** The prepared instance images, in concept then file order. */
  images: string[];
  /** The prepared images and the class images generated now. */
  files: string[];
  /** OUTPUT/prepared/<concept> of each concept. */
  folders: string[];
}

/** One PNG name per source photo: its name without extension, or with it where two photos share a stem. */
function preparedNames(files: string[]): string[] {
  const stems = files.map((f) => basename(f, extname(f)));
  return files.map((f, i) => (stems.filter((s) => s === stems[i]).length > 1 ? `${basename(f)}.png` : `${stems[i]}.png`));
}

export async function prepare(params: PrepareParams, ctx: JobContext, extras: PrepareExtras = {}): Promise<PrepareResult> {
  const { concept } = loadConcept(params.conceptFile); // throws ConceptFileError listing every error
  const res = concept.train.resolution;
  const images: string[] = [];
  const folders: string[] = [];
  const report: PreparedConcept[] = [];

  // 1. instance images
  for (const c of concept.concepts) {
    const folder = runLayout(concept.output).prepared(c.name);
    await mkdir(folder, { recursive: true });
    folders.push(folder);
    const sources = await listImages(c.instanceImages);
    const ignored = await nonImageFiles(c.instanceImages);
    if (ignored.length) ctx.log('warn', `ignored ${ignored.length} file(s) in ${c.instanceImages} that are not images: ${ignored.join(', ')}`);
    const found: PreparedConcept = { name: c.name, instanceImages: c.instanceImages, photos: [], ignored, classImages: c.classImages, numClassImages: c.numClassImages };
    report.push(found);
    const names = preparedNames(sources);
    const written = new Set<string>();
    ctx.progress({ phase: 'preparing images', step: 0, total: sources.length, message: c.name, images: [...images] });
    for (const [i, file] of sources.entries()) {
      checkCancelled(ctx);
      let pixels: Float32Array | undefined;
      const photo: PreparedConcept['photos'][number] = { source: file, warnings: [] };
      found.photos.push(photo);
      try {
        const prepared = await prepareImage(file, res);
        pixels = prepared.pixels;
        photo.warnings = prepared.warnings;
        for (const w of prepared.warnings) ctx.log('warn', `photo ${file} ${w}`);
      } catch (e) {
        photo.skipped = (e as Error).message.split('\n')[0]!;
        ctx.log('warn', `skipped ${file}: ${photo.skipped}`);
      }
      if (pixels) {
        const out = join(folder, names[i]!);
        await writePng(out, pixels, res, res);
        written.add(names[i]!);
        images.push(out);
        photo.prepared = out;
      }
      ctx.progress({ phase: 'preparing images', step: i + 1, total: sources.length, message: `${c.name}: ${basename(file)}${pixels ? '' : ' (skipped)'}`, images: [...images] });
    }
    if (!written.size) ctx.log('warn', `concept ${c.name}: no readable image in ${c.instanceImages}; training would stop here`);
    // Crops of photos since removed would mislead: the folder shows exactly what training will use.
    for (const n of await readdir(folder)) if (n.endsWith('.png') && !written.has(n)) await rm(join(folder, n), { force: true });
  }

  // Written before class images are generated, so the crops can be looked at while that runs.
  await writeReport(runLayout(concept.output).preparedReport, { conceptFile: params.conceptFile, resolution: res, time: new Date().toISOString(), concepts: report });

  // 2. class images; the model (and a runtime) only when some are missing
  const generated: string[] = [];
  const needing = [];
  for (const c of concept.concepts) if ((await missingClassImages(c)) > 0) needing.push(c);
  if (needing.length) {
    checkCancelled(ctx);
    const modelPath = await resolveModel(concept.model, ctx, params.hfToken);
    const runtime = extras.runtime ?? (await openRuntime({ providers: extras.providers }));
    try {
      const opts = { ...classImageOptions(concept), runtime, cacheDir: extras.cacheDir };
      for (const c of needing) generated.push(...(await topUpClassImages(c, modelPath, opts, ctx)).generated);
    } finally {
      if (!extras.runtime) await runtime.close();
    }
  }
  return { images, files: [...images, ...generated], folders };
}

async function writeReport(file: string, report: PreparedReport): Promise<void> {
  await writeAtomic(file, (tmp) => writeFile(tmp, `${JSON.stringify(report, null, 2)}\n`));
}
