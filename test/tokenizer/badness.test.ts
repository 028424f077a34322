// ftfy's "badness" heuristic against ftfy 6.1.1 itself (fixtures/make/ftfy_badness.py): for each of its
// 35 rules, strings that rule matches, and near misses no rule matches, with ftfy's match counts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { badness, isBad } from '../../sidecar/tokenizer/badness';

interface Case {
  text: string;
  rule: number | null;
  badness: number;
}
const { cases } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'ftfy-badness.json'), 'utf8')) as { cases: Case[] };

test('every rule is exercised', () => {
  assert.equal(new Set(cases.map((c) => c.rule).filter((r) => r !== null)).size, 35);
});

for (const rule of new Set(cases.map((c) => c.rule))) {
  test(rule === null ? 'near misses are not bad' : `rule ${rule}: the same match counts as ftfy`, () => {
    for (const c of cases.filter((c) => c.rule === rule)) {
      assert.equal(badness(c.text), c.badness, JSON.stringify(c.text));
      assert.equal(isBad(c.text), c.badness > 0, JSON.stringify(c.text));
    }
  });
}
