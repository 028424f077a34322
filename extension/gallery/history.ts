// The gallery's history per concept file: what was generated, with which settings, newest first,
// kept in workspaceState (a Memento) under one key per concept file. Images are stored as paths;
// files deleted since are left out when the history is read. No `vscode` import: unit-tested with a
// plain store.
import type { JobStatus } from '../../protocol/sidecar';
import type { GalleryForm } from '../../protocol/webview';

/** Entries kept per concept file; older ones are dropped. */
export const HISTORY_LIMIT = 50;

export interface StoredEntry {
  time: string;
  form: GalleryForm;
  status: JobStatus;
  files: string[];
}

/** The part of vscode.Memento the history uses. */
export interface Store {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

/** One store key per concept file ('' when the gallery has none). */
export function historyKey(conceptFile: string): string {
  return `dreambooth.gallery.history:${conceptFile}`;
}

function isEntry(x: unknown): x is StoredEntry {
  const e = x as StoredEntry;
  return !!e && typeof e.time === 'string' && typeof e.form === 'object' && !!e.form && Array.isArray(e.files) && e.files.every((f) => typeof f === 'string');
}

export class GalleryHistory {
  private readonly key: string;
  constructor(
    private readonly store: Store,
    conceptFile: string,
    private readonly exists: (file: string) => boolean,
  ) {
    this.key = historyKey(conceptFile);
  }

  /** Newest first; entries whose images are all gone (and that had some) are left out. */
  list(): StoredEntry[] {
    const raw = this.store.get<unknown>(this.key);
    const entries = Array.isArray(raw) ? raw.filter(isEntry) : [];
    return entries.map((e) => ({ ...e, files: e.files.filter(this.exists) })).filter((e, i) => e.files.length > 0 || entries[i]!.files.length === 0);
  }

  async add(entry: StoredEntry): Promise<void> {
    const raw = this.store.get<unknown>(this.key);
    const entries = Array.isArray(raw) ? raw.filter(isEntry) : [];
    await this.store.update(this.key, [entry, ...entries].slice(0, HISTORY_LIMIT));
  }

  async clear(): Promise<void> {
    await this.store.update(this.key, undefined);
  }
}
