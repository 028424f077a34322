// The command table (what extension/commands.ts registers) against the manifest's contributions:
// every registered command is contributed, every contributed command is registered, and menus only
// name commands that exist.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { COMMANDS, COMMAND_CATEGORY, commandId, type CommandName } from '../../protocol/commands';

interface Contributed { command: string; title: string; category?: string }
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const contributed: Contributed[] = pkg.contributes.commands ?? [];
const registered = (Object.keys(COMMANDS) as CommandName[]).map(commandId);

test('every registered command is contributed with its title, and vice versa', () => {
  assert.deepEqual(contributed.map((c) => c.command).sort(), [...registered].sort());
  for (const c of contributed) {
    const name = c.command.slice('dreambooth.'.length) as CommandName;
    assert.equal(c.title, COMMANDS[name].title, `${c.command} title`);
    assert.equal(c.category, COMMAND_CATEGORY, `${c.command} category`);
  }
});

test('menus only reference contributed commands', () => {
  const menus: Record<string, { command: string }[]> = pkg.contributes.menus ?? {};
  for (const [where, items] of Object.entries(menus)) {
    for (const item of items) assert.ok(registered.includes(item.command), `${where} names unknown command ${item.command}`);
  }
});

test('the brief\'s commands exist', () => {
  for (const n of ['train', 'generate', 'prepareImages', 'openGallery', 'cancelJob', 'restartSidecar', 'showLog', 'setHuggingFaceToken', 'clearHuggingFaceToken']) {
    assert.ok(registered.includes(`dreambooth.${n}`), n);
  }
});

test('every configuration key the extension reads is contributed', () => {
  const props = Object.keys(pkg.contributes.configuration.properties);
  for (const key of ['executionProviders', 'sidecar.threads', 'defaultModel', 'gallery.outputFolder', 'trace.server']) {
    assert.ok(props.includes(`dreambooth.${key}`), key);
  }
});

test('the gallery panel can be revived after a reload', () => {
  assert.ok(pkg.activationEvents.includes('onWebviewPanel:dreambooth.gallery'));
});

test('the extension runs where the workspace is (VS Code Remote: the machine with the GPU), never in the UI host only', () => {
  assert.deepEqual(pkg.extensionKind, ['workspace']);
});

test('the training dashboard can be revived after a reload', () => {
  assert.ok(pkg.activationEvents.includes('onWebviewPanel:dreambooth.dashboard'));
});
