// Prints the Markdown table of a saved results file: `node --import tsx bench/table.ts RESULTS.json [PEER.json]`.
import { existsSync, readFileSync } from 'node:fs';
import type { CaseResult } from './case';
import { resultsTable, type PeerRun } from './report';

const [resultsPath, peerPath] = process.argv.slice(2);
if (!resultsPath) throw new Error('usage: bench/table.ts RESULTS.json [PEER.json]');
const doc = JSON.parse(readFileSync(resultsPath, 'utf8')) as { machine: Record<string, unknown>; results: CaseResult[] };
const peer = peerPath && existsSync(peerPath) ? ((JSON.parse(readFileSync(peerPath, 'utf8')) as { runs?: PeerRun[] }).runs ?? []) : [];
console.log(`${JSON.stringify(doc.machine)}\n`);
console.log(resultsTable(doc.results, peer));
