// A folder of world images and their captions: NNNNN.png plus captions.jsonl, one line per image
// ({ file, caption, scene }), which base-model pretraining reads. Item i is drawn from seed·2^20 + i
// alone, so any item can be regenerated and two seeds never share scenes.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { caption } from './caption';
import { WorldRandom } from './random';
import { renderRgb, writeScenePng } from './render';
import { drawScene, type Scene, type SceneOptions, SUBJECT_LOOK } from './scene';
import { COLOUR_NAMES, POSITIONS, SIZES, SUBJECT, TEXTURES } from './vocabulary';

export const CAPTIONS_FILE = 'captions.jsonl';

export interface WorldItem {
  file: string;
  caption: string;
  scene: Scene;
}

/** Seeds up to 2^11 keep item seeds inside MT19937's 32-bit seed space for 2^20 items each. */
const ITEMS_PER_SEED = 2 ** 20;
export function itemRandom(seed: number, index: number): WorldRandom {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 11) throw new Error(`world: the seed must be an integer in 0..${2 ** 11 - 1}, got ${seed}`);
  if (!Number.isInteger(index) || index < 0 || index >= ITEMS_PER_SEED) throw new Error(`world: item index must be in 0..${ITEMS_PER_SEED - 1}, got ${index}`);
  return new WorldRandom(seed * ITEMS_PER_SEED + index);
}

export function worldItem(seed: number, index: number, o: SceneOptions = {}): { scene: Scene; caption: string } {
  const r = itemRandom(seed, index);
  const scene = drawScene(r, o);
  return { scene, caption: o.subject ? '' : caption(scene, r) };
}

/** Renders `count` items (size×size RGB) in memory, e.g. for training the recogniser. */
export async function renderItems(seed: number, count: number, size: number, o: { subjectShare?: number } = {}): Promise<{ scenes: Scene[]; pixels: Uint8Array }> {
  const pixels = new Uint8Array(count * size * size * 3);
  const scenes: Scene[] = [];
  const everyNth = o.subjectShare ? Math.round(1 / o.subjectShare) : 0;
  for (let i = 0; i < count; i++) {
    const { scene } = worldItem(seed, i, { subject: everyNth > 0 && i % everyNth === everyNth - 1 });
    pixels.set(await renderRgb(scene, size), i * size * size * 3);
    scenes.push(scene);
  }
  return { scenes, pixels };
}

export async function writeWorld(out: string, o: { count: number; seed: number; size: number; onItem?: (i: number) => void }): Promise<WorldItem[]> {
  await mkdir(out, { recursive: true });
  const items: WorldItem[] = [];
  for (let i = 0; i < o.count; i++) {
    const { scene, caption } = worldItem(o.seed, i);
    const file = `${String(i).padStart(5, '0')}.png`;
    await writeScenePng(scene, o.size, join(out, file));
    items.push({ file, caption, scene });
    o.onItem?.(i);
  }
  await writeFile(join(out, CAPTIONS_FILE), items.map((it) => JSON.stringify(it)).join('\n') + '\n');
  return items;
}

/** The DreamBooth subject's instance images: instance i at the i-th position, background colour and
 *  texture (each cycling) and alternating sizes, so no two share a layout. */
export async function writeSubject(out: string, o: { count: number; seed: number; size: number }): Promise<string[]> {
  await mkdir(out, { recursive: true });
  const files: string[] = [];
  const backgrounds = COLOUR_NAMES.filter((c) => !Object.values<string>(SUBJECT_LOOK).includes(c));
  for (let i = 0; i < o.count; i++) {
    const at = <T>(xs: readonly T[]) => xs[i % xs.length]!;
    const { scene } = worldItem(o.seed, i, { subject: true, position: at(POSITIONS), size: at(SIZES), background: at(backgrounds), texture: at(TEXTURES) });
    const file = join(out, `${SUBJECT.identifier}-${String(i + 1).padStart(2, '0')}.png`);
    await writeScenePng(scene, o.size, file);
    files.push(file);
  }
  return files;
}
