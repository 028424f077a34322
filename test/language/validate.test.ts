// The validator: keys, types, ranges, required keys, blocks, identifiers (against the real CLIP
// vocabulary), prompts, instance-image folders and the step budget.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { checkConceptText } from '../../language/validate';

const root = resolve(__dirname, '..', '..');
const photos = join(root, 'examples', 'zwx', 'photos');
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dreambooth-validate-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A folder with n real photos from the example (cycled) plus extra files. */
function folder(name: string, n: number, extra: Record<string, string | Uint8Array> = {}): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const src = readdirSync(photos).sort();
  for (let i = 0; i < n; i++) copyFileSync(join(photos, src[i % src.length]!), join(d, `${i}-${src[i % src.length]}`));
  for (const [f, data] of Object.entries(extra)) writeFileSync(join(d, f), data);
  return d;
}

/** Diagnostics of a text as if saved in the temp folder; `disk: false` as an unsaved editor (no file checks). */
const check = (text: string, disk = true) => checkConceptText(text, { fileDir: disk ? dir : undefined }).diagnostics;
const codes = (text: string, disk = true) => check(text, disk).map((d) => `${d.severity} ${d.code}`);
const concept = (name: string, body: string) => `concept ${name} {\n${body}\n}\n`;

test('the example has nothing but the 2-token hint for "zwx"', () => {
  const diags = checkConceptText(readFileSync(join(root, 'examples', 'zwx', 'zwx.dreambooth'), 'utf8'), { fileDir: join(root, 'examples', 'zwx') }).diagnostics;
  assert.deepEqual(
    diags.map((d) => [d.severity, d.code, d.message]),
    [['info', 'identifier-tokens', '"zwx" is 2 CLIP tokens (z·wx); a rare single token such as ohwx, sks, nmwx binds a little more reliably.']],
  );
});

test('unknown keys: did-you-mean with a fix, or where the key belongs', () => {
  const [typo] = check('modle "x/y"\n');
  assert.ok(typo);
  assert.equal(typo.message, 'unknown key "modle" at the top level; did you mean model?');
  assert.deepEqual(typo.fix, { title: 'Change to model', edits: [{ range: typo.range, newText: 'model' }] });
  const [misplaced] = check('train {\n  prompt "x"\n}\n');
  assert.ok(misplaced);
  assert.equal(misplaced.message, 'unknown key "prompt" in a train block; "prompt" belongs in a generate block');
  const [nothing] = check('train {\n  zzzzzzzz 1\n}\n');
  assert.ok(nothing);
  assert.match(nothing.message, /valid keys: method, steps, learning_rate/);
});

test('types and ranges, with fixes where the intent is clear', () => {
  const cases: [string, string, string | undefined][] = [
    ['steps "800"', 'steps: numbers are written without quotes', '800'],
    ['steps 1.5', 'steps: expected a whole number, got 1.5', undefined],
    ['steps 0', 'steps: 0 is out of range: expected an integer from 1 to 1000000', undefined],
    ['learning_rate 0', 'learning_rate: 0 is out of range: expected a number above 0 up to 1', undefined],
    ['learning_rate 2e-6', '', undefined],
    ['resolution 510', 'resolution: 510 is not a multiple of 8 (nearest: 512)', '512'],
    ['method "lora"', 'method: write lora without quotes', 'lora'],
    ['method lorra', 'method: "lorra" is not one of `lora`, `full`; did you mean lora?', 'lora'],
    ['train_text_encoder yes', 'train_text_encoder: expected true or false, got "yes"', 'true'],
    ['sample_prompt photo', 'sample_prompt: expected a prompt (string) in double quotes, got "photo"', '"photo"'],
  ];
  for (const [line, message, fix] of cases) {
    const d = check(`train {\n  ${line}\n}\n`).filter((x) => x.code === 'type');
    if (!message) {
      assert.deepEqual(d, [], line);
      continue;
    }
    assert.equal(d.length, 1, line);
    assert.equal(d[0]!.message, message, line);
    assert.equal(d[0]!.fix?.edits[0]!.newText, fix, line);
    assert.equal(d[0]!.range.start.line, 1);
    assert.equal(d[0]!.range.start.character, 2 + line.indexOf(' ') + 1, line);
  }
  const size = check('generate g {\n  prompt "x"\n  size 512\n}\n').find((x) => x.code === 'type');
  assert.equal(size?.message, 'size: a size is WIDTHxHEIGHT, e.g. 512x512');
  const sampler = check('generate g {\n  prompt "x"\n  sampler euler_ancestral\n}\n').find((x) => x.code === 'type');
  assert.match(sampler?.message ?? '', /not one of `ddim`, `pndm`, `euler`, `euler_a`, `dpmpp_2m`, `dpmpp_2m_karras`/);
});

test('required keys, duplicate keys and blocks, block names', () => {
  assert.deepEqual(codes(concept('sks', '')), ['error missing-key']);
  const [missing] = check(concept('sks', ''));
  assert.ok(missing);
  assert.match(missing.message, /concept sks is missing "instance_prompt" and "instance_images"/);
  assert.deepEqual(missing.fix, { title: 'Add instance_prompt, instance_images', edits: [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, newText: '  instance_prompt "photo of sks person"\n  instance_images "./photos"\n' }] });
  assert.equal(check('generate g { count 2 }\n')[0]!.fix, undefined, 'no fix when } shares a line');
  assert.deepEqual(codes('generate {\n}\n'), ['error missing-key']);
  assert.deepEqual(codes('train {\n  steps 5\n  steps 6\n}\n'), ['error duplicate-key']);
  assert.deepEqual(codes('train {\n}\ntrain {\n}\n'), ['error duplicate-block']);
  assert.deepEqual(codes('generate a {\n  prompt "x"\n}\ngenerate a {\n  prompt "y"\n}\n'), ['error duplicate-block']);
  assert.deepEqual(codes('train fast {\n}\n'), ['error block-name']);
  const unnamed = check('concept {\n  instance_prompt "x"\n  instance_images "."\n}\n', false);
  assert.equal(unnamed[0]!.code, 'block-name');
  assert.match(unnamed[0]!.message, /needs a name, its identifier: e.g. "concept ohwx \{"/);
});

test('identifiers: common words and many tokens warn, rare single tokens pass', () => {
  const idDiag = (name: string) => check(concept(name, `  instance_prompt "photo of ${name} person"`), false).filter((d) => d.code.includes('identifier'));
  assert.deepEqual(idDiag('sks'), []);
  assert.deepEqual(idDiag('ohwx'), []);
  const dog = idDiag('dog');
  assert.equal(dog[0]!.severity, 'warning');
  assert.match(dog[0]!.message, /"dog" is a common word to CLIP \(token #1929\)/);
  const many = idDiag('xyzzyqq');
  assert.equal(many[0]!.severity, 'warning');
  assert.match(many[0]!.message, /splits into 4 CLIP tokens \(xy·zzy·q·q\)/);
  assert.equal(idDiag('zwx')[0]!.severity, 'info');
});

test('prompts: the identifier and the class noun must appear in the instance prompt', () => {
  const d = check(concept('sks', '  instance_prompt "photo of my dog"\n  class_prompt "photo of a person"'), false);
  assert.deepEqual(
    d.filter((x) => x.code.startsWith('prompt')).map((x) => x.message),
    ['instance_prompt does not contain the identifier "sks", so training cannot tie your subject to it', 'instance_prompt lacks the class noun "person" of class_prompt; e.g. "photo of sks person"'],
  );
  const noNoun = check(concept('ohwx', '  instance_prompt "a photo of ohwx, smiling"\n  class_prompt "photo of a woman"'), false).find((x) => x.code === 'prompt-class');
  assert.deepEqual(noNoun?.fix, { title: 'Add "woman" after ohwx', edits: [{ range: { start: { line: 1, character: 34 }, end: { line: 1, character: 34 } }, newText: ' woman' }] });
  assert.deepEqual(check(concept('sks', '  instance_prompt "photo of sks people"\n  class_prompt "photo of people"'), false).filter((x) => x.code.startsWith('prompt')), []);
  const gen = check(`${concept('sks', '  instance_prompt "photo of sks dog"')}generate g {\n  prompt "a cat"\n}\n`, false);
  assert.ok(gen.some((x) => x.code === 'prompt-identifier' && x.severity === 'info' && /mentions none of the trained identifiers \(sks\)/.test(x.message)));
});

test('instance folders: missing, a file, empty, too few, non-images, unreadable', () => {
  const folderDiags = (path: string) => check(concept('sks', `  instance_prompt "photo of sks person"\n  instance_images "${path}"`)).filter((d) => d.code === 'instance-images');
  assert.deepEqual(folderDiags('./nope').map((d) => d.message), ['instance_images: the folder "./nope" does not exist']);
  writeFileSync(join(dir, 'afile'), 'x');
  assert.deepEqual(folderDiags('./afile').map((d) => d.message), ['instance_images: the folder "./afile" is a file, not a folder']);
  folder('empty', 0);
  assert.deepEqual(folderDiags('./empty').map((d) => [d.severity, d.message]), [['error', 'instance_images: the folder "./empty" has no images (JPEG, PNG, WebP, …) of sks']]);
  folder('few', 3);
  assert.deepEqual(folderDiags('./few').map((d) => [d.severity, d.message]), [['warning', 'instance_images: only 3 image(s); use at least 5 (10–20 varied photos work best)']]);
  folder('mixed', 6, { 'notes.txt': 'hello', 'fake.jpg': 'not a jpeg at all', 'empty.png': new Uint8Array(0), '.DS_Store': 'x' });
  const mixed = folderDiags('./mixed').map((d) => d.message);
  assert.deepEqual(mixed, [
    'instance_images: 2 file(s) will be skipped: empty.png is empty, fake.jpg is not an image file despite its name',
    'instance_images: 1 file(s) are not images and will be ignored: notes.txt',
  ]);
  folder('good', 6);
  assert.deepEqual(folderDiags('./good'), []);
  // Without a folder (an unsaved editor) nothing is checked on disk.
  assert.deepEqual(check(concept('sks', '  instance_prompt "photo of sks person"\n  instance_images "./nope"'), false), []);
});

test('step budget: about 100 steps per instance image', () => {
  folder('ten', 10);
  const steps = (n: number | undefined) =>
    check(`${concept('sks', '  instance_prompt "photo of sks person"\n  instance_images "./ten"')}${n === undefined ? '' : `train {\n  steps ${n}\n}\n`}`).filter((d) => d.code === 'steps');
  assert.deepEqual(steps(1000), []);
  assert.deepEqual(steps(undefined), []); // default 800 for 10 images: fine
  assert.match(steps(5000)[0]!.message, /5000 steps for 10 instance image\(s\) is likely to overfit.*\(1000\)/);
  assert.match(steps(200)[0]!.message, /200 steps for 10 instance image\(s\) is likely too few/);
  assert.equal(steps(200)[0]!.range.start.line, 5);
});

test('model and output paths', () => {
  assert.deepEqual(codes('model "runwayml/stable-diffusion-v1-5"\n'), []);
  assert.deepEqual(check('model "./missing.safetensors"\n').map((d) => d.message), ['model: "./missing.safetensors" does not exist (a Hub repo id looks like "owner/name")']);
  assert.deepEqual(codes(`model "${join(root, 'fixtures', 'tiny-sd')}"\n`), []);
  writeFileSync(join(dir, 'out-file'), 'x');
  assert.deepEqual(check('output "./out-file"\n').map((d) => d.message), ['output: "./out-file" is a file, not a folder']);
  folder('five', 5);
  const cls = check(concept('sks', '  instance_prompt "photo of sks person"\n  instance_images "./five"\n  class_images "./out-file"')).map((d) => d.message);
  assert.deepEqual(cls, ['class_images: "./out-file" is a file, not a folder']);
});

test('unused keys are pointed out', () => {
  assert.deepEqual(codes(concept('sks', '  instance_prompt "photo of sks dog"\n  num_class_images 10'), false), ['error missing-key', 'info unused-key']);
  assert.deepEqual(codes('train {\n  method full\n  lora_rank 8\n}\n'), ['info unused-key']);
});

test('train_text_encoder_steps without train_text_encoder is noted as unused; with it, nothing', () => {
  assert.deepEqual(codes('train {\n  train_text_encoder_steps 100\n}\n'), ['info unused-key']);
  assert.deepEqual(codes('train {\n  train_text_encoder true\n  train_text_encoder_steps 100\n}\n'), []);
  assert.deepEqual(codes('train {\n  lr_warmup_steps 900\n}\n'), ['info unused-key'], 'constant ignores the warm-up, whatever its length');
});
