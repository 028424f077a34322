// The gallery's history per concept file, over a plain store standing in for workspaceState.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GalleryHistory, HISTORY_LIMIT, type StoredEntry } from '../../extension/gallery/history';
import type { GalleryForm } from '../../protocol/webview';

function memento() {
  const data = new Map<string, unknown>();
  return {
    data,
    get: <T>(key: string) => data.get(key) as T | undefined,
    // workspaceState stores JSON: keep what a round trip through it keeps.
    update: async (key: string, value: unknown) => void (value === undefined ? data.delete(key) : data.set(key, JSON.parse(JSON.stringify(value)))),
  };
}

const form: GalleryForm = { prompt: 'p', negativePrompt: '', count: 1, steps: 2, guidance: 7, sampler: 'euler', seed: 1, width: 64, height: 64, model: 'm', lora: '', loraScale: 1 };
const entry = (n: number, files: string[] = [`/out/${n}.png`]): StoredEntry => ({ time: `2025-01-01T00:00:${String(n).padStart(2, '0')}Z`, form: { ...form, seed: n }, status: 'done', files });

test('history is newest first, per concept file, and survives a new instance', async () => {
  const store = memento();
  const a = new GalleryHistory(store, '/ws/a.dreambooth', () => true);
  await a.add(entry(1));
  await a.add(entry(2));
  await new GalleryHistory(store, '/ws/b.dreambooth', () => true).add(entry(3));
  assert.deepEqual(new GalleryHistory(store, '/ws/a.dreambooth', () => true).list().map((e) => e.form.seed), [2, 1]);
  assert.deepEqual(new GalleryHistory(store, '/ws/b.dreambooth', () => true).list().map((e) => e.form.seed), [3]);
});

test(`history keeps the last ${HISTORY_LIMIT} entries`, async () => {
  const h = new GalleryHistory(memento(), '', () => true);
  for (let i = 0; i < HISTORY_LIMIT + 5; i++) await h.add(entry(i));
  const list = h.list();
  assert.equal(list.length, HISTORY_LIMIT);
  assert.equal(list[0]!.form.seed, HISTORY_LIMIT + 4);
});

test('deleted images are left out; an entry whose images are all gone goes, a failed one without images stays', async () => {
  const exists = (f: string) => f !== '/out/gone.png' && f !== '/out/gone2.png';
  const h = new GalleryHistory(memento(), 'c', exists);
  await h.add(entry(1, ['/out/kept.png', '/out/gone.png']));
  await h.add(entry(2, ['/out/gone2.png']));
  await h.add({ ...entry(3, []), status: 'failed' });
  assert.deepEqual(h.list().map((e) => [e.form.seed, e.files]), [[3, []], [1, ['/out/kept.png']]]);
});

test('a hand-edited or foreign value in the store is ignored, not thrown on; clear empties it', async () => {
  const store = memento();
  const h = new GalleryHistory(store, 'c', () => true);
  store.data.set('dreambooth.gallery.history:c', [{ time: 1 }, 'x', null, entry(4)]);
  assert.deepEqual(h.list().map((e) => e.form.seed), [4]);
  store.data.set('dreambooth.gallery.history:c', { not: 'a list' });
  assert.deepEqual(h.list(), []);
  await h.add(entry(5));
  await h.clear();
  assert.deepEqual(h.list(), []);
});
