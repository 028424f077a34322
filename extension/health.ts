// The sidecar's health: one union, rendered in one place (statusBar.ts).
import type { ProviderName } from '../protocol/vocabulary';

export type SidecarHealth =
  | { state: 'starting' }
  | { state: 'ready'; provider: ProviderName; version: string }
  | { state: 'busy'; provider: ProviderName; jobs: number; detail: string }
  | { state: 'error'; message: string }
  | { state: 'stopped'; reason: string };
