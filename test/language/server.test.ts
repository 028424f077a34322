// The language server over stdio, as an editor drives it: initialize, open a document, wait for the
// published diagnostics (a real notification, never a sleep), then completions, hovers, symbols,
// folding, formatting, code lenses and quick fixes.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, NotificationType, RequestType, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type {
  CodeAction,
  CodeLens,
  CompletionItem,
  CompletionList,
  Diagnostic,
  DocumentSymbol,
  FoldingRange,
  Hover,
  InitializeResult,
  PublishDiagnosticsParams,
  Range,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';

const root = resolve(__dirname, '..', '..');
const PublishDiagnostics = new NotificationType<PublishDiagnosticsParams>('textDocument/publishDiagnostics');
const req = <P, R>(method: string) => new RequestType<P, R, void>(method);

let server: ChildProcess;
let conn: MessageConnection;
let work: string;
const published = new Map<string, PublishDiagnosticsParams[]>();
const waiters: { uri: string; version?: number; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
type Registration = { method: string; registerOptions?: unknown };
let gotRegistrations: (r: Registration[]) => void;
/** What the server registers with the client (after `initialized`). */
const registered = new Promise<Registration[]>((resolve) => (gotRegistrations = resolve));

/** The next diagnostics published for `uri` (for re-validation without a new document version). */
function nextDiagnostics(uri: string): Promise<PublishDiagnosticsParams> {
  return new Promise((resolve) => waiters.push({ uri, resolve }));
}

function diagnosticsFor(uri: string, version: number): Promise<PublishDiagnosticsParams> {
  const have = published.get(uri)?.find((p) => p.version === version);
  if (have) return Promise.resolve(have);
  return new Promise((resolve) => waiters.push({ uri, version, resolve }));
}

let version = 0;
async function open(name: string, text: string): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  const uri = pathToFileURL(join(work, name)).href;
  version++;
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'dreambooth', version, text } });
  const p = await diagnosticsFor(uri, version);
  return { uri, diagnostics: p.diagnostics };
}

const at = (line: number, character: number) => ({ line, character });
const messageOf = (d: Diagnostic): string => (typeof d.message === 'string' ? d.message : d.message.value);
const labels = (r: CompletionItem[] | CompletionList | null) => (Array.isArray(r) ? r : (r?.items ?? [])).map((i) => i.label);

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'dreambooth-lsp-'));
  // The example as it sits in the repository: examples/zwx next to ../../fixtures/tiny-sd.
  mkdirSync(join(work, 'examples'));
  cpSync(join(root, 'examples', 'zwx'), join(work, 'examples', 'zwx'), { recursive: true, filter: (s) => !s.includes(join('zwx', 'runs')) });
  symlinkSync(join(root, 'fixtures'), join(work, 'fixtures'));
  server = spawn(process.execPath, ['--import', 'tsx', join(root, 'language', 'server', 'main.ts'), '--stdio'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  conn = createMessageConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  conn.onNotification(PublishDiagnostics, (p) => {
    published.set(p.uri, [...(published.get(p.uri) ?? []), p]);
    for (const w of waiters.filter((x) => x.uri === p.uri && (x.version === undefined || x.version === p.version))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(p);
    }
  });
  conn.onRequest('client/registerCapability', (p: { registrations: Registration[] }) => {
    gotRegistrations(p.registrations);
    return null;
  });
  conn.listen();
  const init = await conn.sendRequest(req<object, InitializeResult>('initialize'), {
    processId: process.pid,
    rootUri: pathToFileURL(work).href,
    capabilities: {
      workspace: { didChangeWatchedFiles: { dynamicRegistration: true } },
      textDocument: {
        completion: { completionItem: { snippetSupport: true } },
        hover: { contentFormat: ['markdown', 'plaintext'] },
        documentSymbol: { hierarchicalDocumentSymbolSupport: true },
        codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
        rename: { prepareSupport: true },
      },
    },
  });
  assert.ok(init.capabilities.completionProvider);
  assert.ok(init.capabilities.documentFormattingProvider);
  await conn.sendNotification('initialized', {});
});

after(async () => {
  try {
    await conn.sendRequest(req<null, null>('shutdown'), null);
    await conn.sendNotification('exit');
  } finally {
    conn.dispose();
    server.kill();
    rmSync(work, { recursive: true, force: true });
  }
});

test('the example file gets only the 2-token identifier hint', async () => {
  const text = readFileSync(join(work, 'examples', 'zwx', 'zwx.dreambooth'), 'utf8');
  const { diagnostics } = await open('examples/zwx/zwx.dreambooth', text);
  assert.deepEqual(
    diagnostics.map((d) => [d.severity, d.code]),
    [[3, 'identifier-tokens']],
  );
});

test('syntax, unknown-key, type and folder diagnostics arrive with precise ranges', async () => {
  const text = ['concept sks {', '  instance_prompt "photo of sks dog"', '  instanse_images "./nowhere"', '}', 'train {', '  steps "800"', '  method lorra', '}', 'generate x { size 513x512 }', 'model "unterminated'].join('\n');
  const { uri, diagnostics } = await open('bad.dreambooth', text);
  const find = (code: string) => diagnostics.filter((d) => d.code === code);
  const unknown = find('unknown-key')[0]!;
  assert.match(messageOf(unknown), /did you mean instance_images\?/);
  assert.deepEqual(unknown.range, { start: at(2, 2), end: at(2, 17) });
  assert.match(messageOf(find('missing-key')[0]!), /instance_images/);
  const types = find('type').map(messageOf);
  assert.ok(types.some((m) => /steps: numbers are written without quotes/.test(m)), types.join('\n'));
  assert.ok(types.some((m) => /did you mean lora/.test(m)), types.join('\n'));
  assert.ok(types.some((m) => /513x512 is out of range/.test(m)), types.join('\n'));
  assert.ok(find('missing-key').some((d) => /generate x is missing "prompt"/.test(messageOf(d))));
  const syntax = find('syntax')[0]!;
  assert.match(messageOf(syntax), /unterminated string/);
  assert.equal(syntax.range.start.line, 9);

  // The did-you-mean diagnostic carries a quick fix.
  const actions = await conn.sendRequest(req<object, CodeAction[]>('textDocument/codeAction'), { textDocument: { uri }, range: unknown.range, context: { diagnostics: [unknown] } });
  assert.equal(actions.length, 1);
  assert.deepEqual(actions[0]!.edit?.changes?.[uri], [{ range: unknown.range, newText: 'instance_images' }]);
});

test('changes re-publish diagnostics for the new version', async () => {
  const { uri, diagnostics } = await open('change.dreambooth', 'stepz 5\n');
  assert.equal(diagnostics.length, 1);
  version++;
  await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text: 'model "runwayml/stable-diffusion-v1-5"\n' }] });
  const p = await diagnosticsFor(uri, version);
  assert.deepEqual(p.diagnostics, []);
});

test('completions: keys per block, enum values, class prompts, identifiers, folders', async () => {
  const text = ['model ', 'concept ', 'concept sks {', '  ', '  class_prompt ', '  instance_images "./', '}', 'train {', '  method ', '  ', '}', 'generate g {', '  sampler ', '}'].join('\n');
  const { uri } = await open('examples/zwx/complete.dreambooth', text);
  const complete = (line: number, character: number) => conn.sendRequest(req<object, CompletionItem[] | CompletionList | null>('textDocument/completion'), { textDocument: { uri }, position: at(line, character) });

  const modelItems = labels(await complete(0, 6));
  assert.ok(modelItems.includes('runwayml/stable-diffusion-v1-5'), modelItems.join());
  const idents = labels(await complete(1, 8));
  assert.ok(idents.includes('sks') && idents.includes('ohwx'), idents.join());
  const conceptKeys = labels(await complete(3, 2));
  assert.deepEqual(conceptKeys.slice().sort(), ['class_images', 'instance_prompt', 'num_class_images'].sort(), 'keys not yet present in the concept block');
  const classes = labels(await complete(4, 15));
  for (const c of ['photo of a person', 'photo of a man', 'photo of a woman', 'photo of a dog', 'photo of a cat', 'photo of a puppy']) assert.ok(classes.includes(c), c);
  const folders = labels(await complete(5, 21));
  assert.deepEqual(folders, ['photos/']);
  const methods = labels(await complete(8, 9));
  assert.deepEqual(methods, ['lora', 'full']);
  const trainKeys = labels(await complete(9, 2));
  assert.ok(trainKeys.includes('steps') && trainKeys.includes('learning_rate') && !trainKeys.includes('method') && !trainKeys.includes('prompt'));
  const samplers = labels(await complete(12, 10));
  assert.deepEqual(samplers, ['ddim', 'pndm', 'euler', 'euler_a', 'dpmpp_2m', 'dpmpp_2m_karras']);
});

test('hover documents keys and identifiers', async () => {
  const { uri } = await open('hover.dreambooth', 'concept sks {\n  num_class_images 10\n}\ngenerate a {\n  sampler euler_a\n}\n');
  const hover = (line: number, character: number) => conn.sendRequest(req<object, Hover | null>('textDocument/hover'), { textDocument: { uri }, position: at(line, character) });
  const key = await hover(1, 5);
  assert.match(JSON.stringify(key?.contents), /num_class_images.*Default: 200/s);
  assert.deepEqual(key?.range, { start: at(1, 2), end: at(1, 18) });
  assert.match(JSON.stringify((await hover(0, 9))?.contents), /one CLIP token \(#48136\)/);
  assert.match(JSON.stringify((await hover(4, 12))?.contents), /ancestral/);
});

test('hover on a folder shows where it points and how many images it holds', async () => {
  const text = readFileSync(join(work, 'examples', 'zwx', 'zwx.dreambooth'), 'utf8');
  const { uri } = await open('examples/zwx/hover-path.dreambooth', text);
  const line = text.split('\n').findIndex((l) => l.includes('instance_images'));
  const h = await conn.sendRequest(req<object, Hover | null>('textDocument/hover'), { textDocument: { uri }, position: at(line, 22) });
  assert.match(JSON.stringify(h?.contents), new RegExp(`${join(work, 'examples', 'zwx', 'photos').replace(/[/\\]/g, '.')}.* — 6 images`));
});

test('photos added to a folder re-validate open files (watchers registered by the server)', async () => {
  const registrations = await registered;
  const watchers = registrations.find((r) => r.method === 'workspace/didChangeWatchedFiles')?.registerOptions as { watchers: { globPattern: string }[] } | undefined;
  assert.ok(watchers?.watchers.some((w) => w.globPattern.includes('jpg') && w.globPattern.includes('png')), JSON.stringify(registrations));
  const photos = join(work, 'few');
  mkdirSync(photos);
  const src = join(root, 'examples', 'zwx', 'photos');
  for (const f of ['01.jpg', '02.jpg', '03.png']) cpSync(join(src, f), join(photos, f));
  const { uri, diagnostics } = await open('watch.dreambooth', 'concept sks {\n  instance_prompt "photo of sks person"\n  instance_images "./few"\n}\ntrain {\n  steps 300\n}\n');
  assert.deepEqual(diagnostics.map((d) => messageOf(d)), ['instance_images: only 3 image(s); use at least 5 (10–20 varied photos work best)']);
  for (const f of ['04.jpg', '05.png', '06.jpg']) cpSync(join(src, f), join(photos, f));
  const next = nextDiagnostics(uri);
  await conn.sendNotification('workspace/didChangeWatchedFiles', { changes: ['04.jpg', '05.png', '06.jpg'].map((f) => ({ uri: pathToFileURL(join(photos, f)).href, type: 1 })) });
  assert.deepEqual((await next).diagnostics, []);
});

test('saving re-reads the folders (photos added where no watcher reported them)', async () => {
  const photos = join(work, 'saved');
  mkdirSync(photos);
  const src = join(root, 'examples', 'zwx', 'photos');
  for (const f of ['01.jpg', '02.jpg']) cpSync(join(src, f), join(photos, f));
  const { uri, diagnostics } = await open('save.dreambooth', 'concept sks {\n  instance_prompt "photo of sks person"\n  instance_images "./saved"\n}\ntrain {\n  steps 500\n}\n');
  assert.match(messageOf(diagnostics[0]!), /only 2 image\(s\)/);
  for (const f of ['03.png', '04.jpg', '05.png']) cpSync(join(src, f), join(photos, f));
  const next = nextDiagnostics(uri);
  await conn.sendNotification('textDocument/didSave', { textDocument: { uri } });
  assert.deepEqual((await next).diagnostics, []);
});

test('symbols, folding, code lenses', async () => {
  const text = '# a\n# b\nmodel "x/y"\nconcept sks {\n  instance_prompt "photo of sks dog"\n}\ntrain {\n  steps 5\n}\ngenerate suit {\n  prompt "sks dog in a suit"\n}\n';
  const { uri } = await open('outline.dreambooth', text);
  const symbols = await conn.sendRequest(req<object, DocumentSymbol[]>('textDocument/documentSymbol'), { textDocument: { uri } });
  assert.deepEqual(
    symbols.map((s) => [s.name, (s.children ?? []).map((c) => c.name)]),
    [['model', []], ['concept sks', ['instance_prompt']], ['train', ['steps']], ['generate suit', ['prompt']]],
  );
  const folds = await conn.sendRequest(req<object, FoldingRange[]>('textDocument/foldingRange'), { textDocument: { uri } });
  assert.deepEqual(
    folds.map((f) => [f.startLine, f.endLine]).sort((a, b) => a[0]! - b[0]!),
    [[0, 1], [3, 4], [6, 7], [9, 10]],
  );
  const lenses = await conn.sendRequest(req<object, CodeLens[]>('textDocument/codeLens'), { textDocument: { uri } });
  assert.deepEqual(
    lenses.map((l) => [l.command?.command, l.command?.arguments, l.range.start.line]),
    [['dreambooth.train', [uri], 6], ['dreambooth.export', [uri], 6], ['dreambooth.prepareImages', [uri], 3], ['dreambooth.showPreparedImages', [uri], 3], ['dreambooth.generate', [uri, 'suit'], 9]],
  );
});

test('rename: prepare on the identifier, edits for the block name and prompts, bad names refused', async () => {
  const { uri } = await open('rename.dreambooth', 'concept zwx {\n  instance_prompt "photo of zwx person"\n}\ngenerate g {\n  prompt "zwx at the beach"\n}\n');
  const prepared = await conn.sendRequest(req<object, { range: Range; placeholder: string } | null>('textDocument/prepareRename'), { textDocument: { uri }, position: at(4, 11) });
  assert.deepEqual(prepared, { range: { start: at(4, 10), end: at(4, 13) }, placeholder: 'zwx' });
  assert.equal(await conn.sendRequest(req<object, unknown>('textDocument/prepareRename'), { textDocument: { uri }, position: at(1, 4) }), null);
  const edit = await conn.sendRequest(req<object, WorkspaceEdit>('textDocument/rename'), { textDocument: { uri }, position: at(0, 9), newName: 'ohwx' });
  assert.deepEqual(
    edit.changes?.[uri]?.map((e) => [e.range.start.line, e.range.start.character, e.newText]),
    [[0, 8, 'ohwx'], [1, 28, 'ohwx'], [4, 10, 'ohwx']],
  );
  await assert.rejects(conn.sendRequest(req<object, WorkspaceEdit>('textDocument/rename'), { textDocument: { uri }, position: at(0, 9), newName: 'two words' }), /not an identifier/);
});

test('formatting returns one edit that aligns and indents, then nothing', async () => {
  const { uri } = await open('fmt.dreambooth', 'model "x/y"\noutput "o"\ntrain {\n steps 5\n    learning_rate 1e-4\n}\n');
  const format = () => conn.sendRequest(req<object, TextEdit[]>('textDocument/formatting'), { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
  const edits = await format();
  assert.equal(edits.length, 1);
  assert.equal(edits[0]!.newText, 'model  "x/y"\noutput "o"\n\ntrain {\n  steps         5\n  learning_rate 1e-4\n}\n');
  version++;
  await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text: edits[0]!.newText }] });
  assert.deepEqual(await format(), []);
});
