// The sidecar's health: one union, rendered in one place (statusBar.ts).
import type { ProviderName } from '../protocol/vocabulary';

export type SidecarHealth =
  | { state: 'starting' }
  | { state: 'ready'; provider: ProviderName; version: string }
  /** `training`: a training job runs (a click opens its dashboard); `waiting`: jobs queued behind. */
  | { state: 'busy'; provider: ProviderName; jobs: number; waiting: number; detail: string; training: boolean }
  | { state: 'error'; message: string }
  | { state: 'stopped'; reason: string };
