// The Initialize handshake: which execution providers this machine can use, and which one jobs will
// run on. Until the worker-backed runtime (sidecar/runtime, openRuntime) lands, this asks
// onnxruntime-node which backends its binary carries and offers the CPU provider only.
import type { InitializeParams, InitializeResult, ProviderReport } from '../../protocol/sidecar';
import { PROVIDERS, type ProviderName } from '../../protocol/vocabulary';

interface BackendInfo {
  name: string;
  bundled: boolean;
}

async function listBackends(): Promise<BackendInfo[] | Error> {
  try {
    const ort = await import('onnxruntime-node');
    return ort.listSupportedBackends();
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

function report(name: ProviderName, backends: BackendInfo[] | Error): ProviderReport {
  if (backends instanceof Error) {
    return { name, available: false, reason: `ONNX Runtime could not be loaded: ${backends.message}` };
  }
  const b = backends.find((x) => x.name === name);
  if (!b) return { name, available: false, reason: `this ONNX Runtime build has no ${name} provider` };
  if (name === 'cpu') return { name, available: true, reason: 'always available' };
  if (!b.bundled) return { name, available: false, reason: `the ${name} provider is not installed (run \`npx onnxruntime-node-install\`)` };
  return { name, available: false, reason: `${name} is bundled but not used yet: this release runs on the CPU` };
}

export async function initialize(params: InitializeParams, version: string): Promise<InitializeResult> {
  const backends = await listBackends();
  const providers = PROVIDERS.map((p) => report(p, backends));
  const usable = providers.filter((p) => p.available).map((p) => p.name);
  const chosen = params.providers.find((p) => usable.includes(p)) ?? 'cpu';
  return { version, providers, chosen };
}
