// Opens a runtime on a named provider for a test file, or says why it cannot. WebGPU tests skip with
// the reason when no adapter is usable, except under DREAMBOOTH_REQUIRE_WEBGPU=1 (CI), where they fail.
import type { ProviderName } from '../../protocol/vocabulary';
import { openRuntime, type Runtime } from '../../sidecar/runtime/runtime';

export const REQUIRE_WEBGPU = process.env.DREAMBOOTH_REQUIRE_WEBGPU === '1';

export async function runtimeOn(provider: ProviderName): Promise<{ rt?: Runtime; skip?: string }> {
  const rt = await openRuntime({ providers: [provider], threads: 1 });
  if (rt.provider === provider) return { rt };
  const why = rt.report.find((r) => r.name === provider)?.reason ?? 'not reported';
  await rt.close();
  if (provider === 'webgpu' && REQUIRE_WEBGPU) throw new Error(`DREAMBOOTH_REQUIRE_WEBGPU=1 but WebGPU is unavailable: ${why}`);
  return { skip: `${provider} unavailable: ${why}` };
}
