// From the prepare job's report.json (protocol/prepared.ts) to what the Prepared Images panel shows.
// The report is a file in the workspace, so it is read as untrusted input: a field of the wrong type
// makes the whole report "unreadable" with a clear next step, and a crop path outside the run's
// prepared/ folder is not shown. No `vscode` import.
import { basename, dirname, isAbsolute, relative } from 'node:path';
import { readConceptFile } from '../../language/load';
import { parseConcept } from '../../language/parse';
import { resolveConcept, runLayout } from '../../language/resolve';
import type { PreparedConcept, PreparedReport } from '../../protocol/prepared';
import type { GalleryImage, PreparedConceptView, PreparedView } from '../../protocol/webview';

/** Class images shown per concept; the count says how many there are. */
export const CLASS_IMAGES_SHOWN = 60;

const isStr = (x: unknown): x is string => typeof x === 'string';
const isStrs = (x: unknown): x is string[] => Array.isArray(x) && x.every(isStr);

function isConcept(c: unknown): c is PreparedConcept {
  const x = c as PreparedConcept;
  return (
    !!x && isStr(x.name) && isStr(x.instanceImages) && isStr(x.classImages) && typeof x.numClassImages === 'number' && isStrs(x.ignored) &&
    Array.isArray(x.photos) && x.photos.every((p) => !!p && isStr(p.source) && isStrs(p.warnings) && (p.prepared === undefined || isStr(p.prepared)) && (p.skipped === undefined || isStr(p.skipped)))
  );
}

/** Where a concept file's images are: the report, the folder of its crops and its class folders (the
 *  panel's localResourceRoots, besides its own bundle). Throws when the file cannot be read or parsed. */
export function conceptFolders(conceptFile: string): { report: string; preparedRoot: string; classFolders: string[] } {
  // Parsed, not validated: a folder without photos yet must not hide the panel.
  const { text, diagnostics } = readConceptFile(conceptFile);
  if (text === undefined) throw new Error(`${conceptFile}: ${diagnostics[0]?.message ?? 'cannot read it'}`);
  const { doc, diagnostics: syntax } = parseConcept(text);
  const error = syntax.find((d) => d.severity === 'error');
  if (error) throw new Error(`${conceptFile}:${error.range.start.line + 1}: ${error.message} (fix the concept file to see its images)`);
  const concept = resolveConcept(doc, dirname(conceptFile));
  const layout = runLayout(concept.output);
  return { report: layout.preparedReport, preparedRoot: dirname(layout.preparedReport), classFolders: concept.concepts.map((c) => c.classImages) };
}

/** The report, or why it cannot be used. */
export function parseReport(json: string | undefined): PreparedReport | string {
  if (json === undefined) return 'These images have not been prepared yet: run "Prepare images" to see the crops training will use.';
  let r: PreparedReport;
  try {
    r = JSON.parse(json) as PreparedReport;
  } catch (e) {
    return `The prepare report is not valid JSON (${(e as Error).message}): run "Prepare images" again.`;
  }
  if (!r || typeof r.resolution !== 'number' || !isStr(r.time) || !Array.isArray(r.concepts) || !r.concepts.every(isConcept)) {
    return 'The prepare report is from another version or was edited: run "Prepare images" again.';
  }
  return r;
}

export function inside(folder: string, file: string): boolean {
  const rel = relative(folder, file);
  return !!rel && !rel.startsWith('..') && !isAbsolute(rel);
}

export interface ViewInputs {
  /** OUTPUT/prepared of the concept file's run: crops are shown only from there. */
  preparedRoot: string;
  image(file: string): GalleryImage;
  /** The image files of a class folder, sorted. */
  classImages(folder: string): string[];
}

export function preparedView(report: PreparedReport | string, io: ViewInputs): PreparedView {
  if (typeof report === 'string') return { state: 'missing', reason: report };
  const concepts: PreparedConceptView[] = report.concepts.map((c) => {
    const classes = io.classImages(c.classImages);
    return {
      name: c.name,
      instanceImages: c.instanceImages,
      ignored: c.ignored,
      classImages: c.classImages,
      classes: classes.slice(0, CLASS_IMAGES_SHOWN).map((f) => io.image(f)),
      classCount: classes.length,
      numClassImages: c.numClassImages,
      photos: c.photos.map((p) => ({
        name: basename(p.source),
        source: p.source,
        crop: p.prepared && inside(io.preparedRoot, p.prepared) ? io.image(p.prepared) : undefined,
        warnings: p.warnings,
        skipped: p.skipped,
      })),
    };
  });
  return { state: 'prepared', resolution: report.resolution, time: report.time, concepts };
}
