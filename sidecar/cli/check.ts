// `dreambooth check FILE...`: every diagnostic of each concept file, one per line as
// `file:line:col: severity: message`. Exit 1 when any error was found, 0 otherwise, 2 for usage.
// Uses only the language module (no ONNX Runtime), so it starts fast.
import { checkConceptFile, formatDiagnostic } from '../../language/load';
import { UsageError } from './usage';

const HELP = `usage: dreambooth check [--errors-only] FILE...

Checks .dreambooth concept files: syntax, keys, types and ranges, required keys, instance-image
folders, identifiers and prompts. Prints file:line:col: error|warning|info: message.
Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error.
`;

/** At most this many lines per file, so a file of garbage does not flood the terminal. */
const MAX_PER_FILE = 200;

export async function main(args: string[]): Promise<number> {
  const files: string[] = [];
  let errorsOnly = false;
  let endOfOptions = false;
  for (const a of args) {
    if (!endOfOptions && a === '--') endOfOptions = true;
    else if (!endOfOptions && (a === '--help' || a === '-h')) {
      process.stdout.write(HELP);
      return 0;
    } else if (!endOfOptions && a === '--errors-only') errorsOnly = true;
    else if (!endOfOptions && a.startsWith('-') && a !== '-') throw new UsageError(`unknown option "${a}"\n\n${HELP}`);
    else files.push(a);
  }
  if (files.length === 0) throw new UsageError(`no files given\n\n${HELP}`);

  let errors = 0;
  let warnings = 0;
  const out: string[] = [];
  for (const file of files) {
    let diagnostics;
    try {
      diagnostics = checkConceptFile(file).diagnostics;
    } catch (e) {
      // The checker is built not to throw; if it ever does, say so against the file, not as a crash.
      diagnostics = [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 'error' as const, code: 'internal', message: `internal error while checking: ${(e as Error).message}` }];
    }
    errors += diagnostics.filter((d) => d.severity === 'error').length;
    warnings += diagnostics.filter((d) => d.severity === 'warning').length;
    const shown = diagnostics.filter((d) => !errorsOnly || d.severity === 'error');
    for (const d of shown.slice(0, MAX_PER_FILE)) out.push(formatDiagnostic(file, { ...d, message: d.message.replace(/[\r\n]+/g, ' ') }));
    if (shown.length > MAX_PER_FILE) out.push(`${file}: … and ${shown.length - MAX_PER_FILE} more`);
  }
  if (out.length) process.stdout.write(`${out.join('\n')}\n`);
  process.stderr.write(`${files.length} file(s) checked: ${errors} error(s), ${warnings} warning(s)\n`);
  return errors > 0 ? 1 : 0;
}
