// The README's key reference is the schema's: regenerate it (language/docs.ts --write) after a change.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { withReference } from '../../language/docs';
import { KEYS } from '../../language/schema';

const readme = readFileSync(join(resolve(__dirname, '..', '..'), 'language', 'README.md'), 'utf8');

test('language/README.md documents every key as the schema defines it', () => {
  assert.equal(readme, withReference(readme), 'run: node --import tsx language/docs.ts --write');
  for (const keys of Object.values(KEYS)) for (const k of keys) assert.ok(readme.includes(`| \`${k.name}\` |`), k.name);
});

test('every key has documentation, an example and a default (or is required)', () => {
  for (const [scope, keys] of Object.entries(KEYS)) {
    for (const k of keys) {
      assert.ok(k.doc.length > 20, `${scope}.${k.name} doc`);
      assert.ok(k.example.length > 0, `${scope}.${k.name} example`);
      assert.ok(k.required || k.defaultText.length > 0, `${scope}.${k.name} default`);
    }
  }
});
