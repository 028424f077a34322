// The Prepared Images panel's view of a prepare report: per photo its crop, warnings or skip reason;
// a missing, broken or foreign report says what to do; crops outside the run's prepared/ folder are
// not shown; the panel's image roots are the crops' folder and the class folders, nothing else.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { conceptFolders, parseReport, preparedView, type ViewInputs } from '../../extension/prepared/view';
import type { PreparedReport } from '../../protocol/prepared';

const report: PreparedReport = {
  conceptFile: '/ws/zwx.dreambooth',
  resolution: 64,
  time: '2025-01-01T00:00:00Z',
  concepts: [
    {
      name: 'zwx',
      instanceImages: '/ws/photos',
      classImages: '/ws/runs/class/zwx',
      numClassImages: 3,
      ignored: ['notes.txt'],
      photos: [
        { source: '/ws/photos/01.jpg', prepared: '/ws/runs/prepared/zwx/01.png', warnings: [] },
        { source: '/ws/photos/small.png', prepared: '/ws/runs/prepared/zwx/small.png', warnings: ['is 32×32, smaller than the training resolution'] },
        { source: '/ws/photos/broken.jpg', warnings: [], skipped: 'Input file contains unsupported image format' },
        { source: '/ws/photos/evil.jpg', prepared: '/etc/passwd', warnings: [] },
      ],
    },
  ],
};
const io: ViewInputs = {
  preparedRoot: '/ws/runs/prepared',
  image: (file) => ({ src: `webview:${file}`, label: file.split('/').pop()!, file }),
  classImages: (folder) => (folder === '/ws/runs/class/zwx' ? ['/ws/runs/class/zwx/0.png', '/ws/runs/class/zwx/1.png'] : []),
};

test('each photo shows its crop with its warnings, or why it was skipped; class images are counted', () => {
  const view = preparedView(parseReport(JSON.stringify(report)), io);
  assert.equal(view.state, 'prepared');
  if (view.state !== 'prepared') return;
  const [c] = view.concepts;
  assert.deepEqual(
    c!.photos.map((p) => [p.name, p.crop?.src, p.warnings.length, p.skipped]),
    [
      ['01.jpg', 'webview:/ws/runs/prepared/zwx/01.png', 0, undefined],
      ['small.png', 'webview:/ws/runs/prepared/zwx/small.png', 1, undefined],
      ['broken.jpg', undefined, 0, 'Input file contains unsupported image format'],
      ['evil.jpg', undefined, 0, undefined], // a crop path outside prepared/ is not shown
    ],
  );
  assert.deepEqual(c!.ignored, ['notes.txt']);
  assert.deepEqual([c!.classCount, c!.numClassImages, c!.classes.map((i) => i.label)], [2, 3, ['0.png', '1.png']]);
});

test('no report, broken JSON and a foreign shape each say to prepare (again)', () => {
  for (const json of [undefined, '{not json', JSON.stringify({ ...report, concepts: [{ name: 'zwx', photos: 'x' }] }), 'null']) {
    const view = preparedView(parseReport(json), io);
    assert.equal(view.state, 'missing', String(json));
    if (view.state === 'missing') assert.match(view.reason, /Prepare images/);
  }
});

test("the panel's image roots are the run's prepared folder and the concept's class folders", () => {
  const dir = mkdtempSync(join(tmpdir(), 'prepared-roots-'));
  const file = join(dir, 'c.dreambooth');
  mkdirSync(join(dir, 'p'));
  writeFileSync(file, ['model "x/y"', 'output "./out"', 'concept a {', '  instance_prompt "a"', '  instance_images "./p"', '  class_prompt "b"', '  class_images "/data/classes"', '}', ''].join('\n'));
  assert.deepEqual(conceptFolders(file), { report: join(dir, 'out', 'prepared', 'report.json'), preparedRoot: join(dir, 'out', 'prepared'), classFolders: ['/data/classes'] });
  writeFileSync(file, 'output 12 bogus');
  assert.throws(() => conceptFolders(file), /c.dreambooth:1: .*fix the concept file/);
});
