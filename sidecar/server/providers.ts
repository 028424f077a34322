// The Initialize handshake: which execution providers work on this machine (each probed by running a
// tiny model, sidecar/runtime/providers.ts) and which one jobs will use. Providers the user did not
// ask for are listed too, so the extension can show the whole picture.
import type { InitializeParams, InitializeResult, ProviderReport } from '../../protocol/sidecar';
import { PROVIDERS, type ProviderName } from '../../protocol/vocabulary';

/** What jobs run with, fixed by the handshake (a change needs a sidecar restart). */
export interface RuntimeChoice {
  provider: ProviderName;
  /** ONNX Runtime intra-op threads; undefined lets it decide. */
  threads?: number;
}

/** The automatic order (also the extension's default setting): a software WebGPU adapter is passed over. */
const AUTOMATIC: readonly ProviderName[] = ['cuda', 'webgpu', 'cpu'];

export async function initialize(params: InitializeParams, version: string): Promise<{ result: InitializeResult; choice: RuntimeChoice }> {
  const requested = params.providers.filter((p) => (PROVIDERS as readonly string[]).includes(p));
  const explicit = requested.join() !== AUTOMATIC.join();
  let probe: typeof import('../runtime/providers');
  try {
    probe = await import('../runtime/providers');
  } catch (e) {
    throw new Error(`ONNX Runtime could not be loaded, so no job can run: ${(e as Error).message}`);
  }
  const { chosen, report } = await probe.chooseProvider(requested.length ? requested : [...AUTOMATIC], explicit);
  const notAsked = (name: ProviderName): ProviderReport => ({ name, available: false, reason: 'not tried: it is not in the dreambooth.executionProviders setting' });
  const providers = PROVIDERS.map((name) => report.find((r) => r.name === name) ?? notAsked(name));
  const threads = params.threads && params.threads > 0 ? params.threads : undefined;
  return { result: { version, providers, chosen }, choice: { provider: chosen, threads } };
}
