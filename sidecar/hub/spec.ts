// What a `model` setting names: a local path, a Hub repo (`owner/name`, optionally `@revision`), or one
// single-file checkpoint inside a repo (`owner/name/path/file.safetensors`, optionally `@revision`).
// The revision comes last and may itself contain slashes (`refs/pr/3`).
import { HubError } from './errors';

export interface HubSpec {
  repo: string;
  /** A branch, tag or commit hash; undefined means the caller's default ("main"). */
  revision?: string;
  /** Path inside the repo of a single-file checkpoint; undefined for a diffusers pipeline. */
  file?: string;
}

// huggingface_hub's repo id rule: letters, digits, '-', '_', '.', at most 96 characters a part,
// no leading/trailing '-' or '.', no '--' or '..'.
const PART = /^(?![.-])(?!.*(--|\.\.))[\w.-]{1,96}(?<![.-])$/;

/** True when the text reads as a path rather than a Hub id (absolute, ./, ~, backslashes, a drive letter). */
export function looksLikePath(spec: string): boolean {
  return /^(\/|\.{1,2}([/\\]|$)|~|[A-Za-z]:[/\\]|\\\\)/.test(spec) || spec.includes('\\');
}

/** Parses a Hub spec, or returns undefined when the text is not one. */
export function parseHubSpec(spec: string): HubSpec | undefined {
  if (looksLikePath(spec)) return undefined;
  const at = spec.indexOf('@');
  const body = at < 0 ? spec : spec.slice(0, at);
  const revision = at < 0 ? undefined : spec.slice(at + 1);
  const parts = body.split('/');
  if (parts.length < 2 || !PART.test(parts[0]!) || !PART.test(parts[1]!)) return undefined;
  if (revision !== undefined && (!revision || /\s|\.\./.test(revision))) throw new HubError(`"${spec}": bad revision after "@"`);
  const rest = parts.slice(2);
  if (!rest.length) return { repo: `${parts[0]}/${parts[1]}`, revision };
  if (rest.some((p) => !p || p === '.' || p === '..')) throw new HubError(`"${spec}": bad file path inside the repo`);
  return { repo: `${parts[0]}/${parts[1]}`, revision, file: rest.join('/') };
}
