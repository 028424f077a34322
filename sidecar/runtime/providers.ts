// Execution-provider probing, run inside the worker: each candidate is tried with a real (tiny) session,
// and the report says in words why a provider is or is not used.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ProviderReport } from '../../protocol/sidecar';
import type { ProviderName } from '../../protocol/vocabulary';
import { identityModel } from './onnx-wire';

/** ORT execution-provider settings for our provider names. */
export function executionProviders(p: ProviderName): ort.InferenceSession.ExecutionProviderConfig[] {
  return [p];
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).trim();
}

/** Runs y = Identity(x) on the provider and checks the numbers come back. */
async function tryProvider(p: ProviderName): Promise<void> {
  const session = await ort.InferenceSession.create(identityModel('float32', 1), {
    executionProviders: executionProviders(p),
    ...(p === 'cpu' ? {} : { preferredOutputLocation: 'cpu' as const }),
  });
  try {
    const x = new Float32Array([1, -2, 3.5]);
    const { y } = await session.run({ x: new ort.Tensor('float32', x, [3]) });
    if (!y) throw new Error('identity test returned no output "y"');
    const got = y.data as Float32Array;
    if (got.length !== 3 || got.some((v, i) => v !== x[i])) throw new Error(`identity test returned [${Array.from(got)}]`);
  } finally {
    await session.release();
  }
}

/** The folder holding onnxruntime-node's native binding (where provider libraries must sit). */
function bindingDir(): string | undefined {
  try {
    const bin = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin');
    for (const napi of readdirSync(bin)) {
      const d = join(bin, napi, process.platform, process.arch);
      if (existsSync(d)) return d;
    }
  } catch {
    /* not resolvable: reported below */
  }
  return undefined;
}

/** Vulkan ICD manifests the loader would read (Linux); empty when none are found or not on Linux. */
function vulkanDrivers(): string[] {
  if (process.platform !== 'linux') return [];
  const listed = process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES;
  const files = listed
    ? listed.split(':').filter(Boolean)
    : ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'].flatMap((d) =>
        existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => join(d, f)) : [],
      );
  return files.flatMap((f) => {
    try {
      const lib = (JSON.parse(readFileSync(f, 'utf8')) as { ICD?: { library_path?: string } }).ICD?.library_path;
      return lib ? [lib] : [];
    } catch {
      return [];
    }
  });
}

/** A GPU device node the kernel exposes (DRM render node, or NVIDIA's proprietary driver). */
function gpuDeviceNode(): boolean {
  const list = (d: string) => (existsSync(d) ? readdirSync(d) : []);
  return list('/dev/dri').some((f) => f.startsWith('renderD')) || list('/dev').some((f) => /^nvidia\d+$/.test(f));
}

/**
 * True when WebGPU can only be running on a CPU emulation (Mesa lavapipe, SwiftShader): on Linux, no GPU
 * device node exists, or every Vulkan driver the loader would read is such an emulation.
 */
function softwareAdapterOnly(): boolean {
  if (process.platform !== 'linux') return false;
  const libs = vulkanDrivers();
  return !gpuDeviceNode() || (libs.length > 0 && libs.every((l) => /lvp|swiftshader/i.test(l)));
}

/** Where the Vulkan loader Dawn opens would be found (Linux); undefined when there is none. */
function vulkanLoader(): string | undefined {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/usr/local/lib'];
  return dirs.map((d) => join(d, 'libvulkan.so.1')).find((f) => existsSync(f));
}

/**
 * Reasons not to start WebGPU at all: starting Dawn prints native warnings on stderr that no log level
 * can route ("Couldn't load Vulkan…", lavapipe's limits), so it is started only where it can be used.
 */
function webgpuSkipReason(explicit: boolean): string | undefined {
  if (process.platform !== 'linux') return undefined;
  if (!vulkanLoader()) return 'not started: no Vulkan loader (libvulkan.so.1) on this machine; install libvulkan1 and a Vulkan driver (the GPU vendor\'s, or Mesa ≥ 23)';
  if (!explicit && softwareAdapterOnly()) return 'not started: no GPU device was found, so WebGPU could only run on a CPU emulation, slower than the CPU provider (ask for webgpu explicitly to use it)';
  return undefined;
}

async function probe(p: ProviderName, explicit: boolean): Promise<ProviderReport> {
  switch (p) {
    case 'cpu':
      await tryProvider('cpu');
      return { name: p, available: true, reason: 'bundled with onnxruntime-node; always available' };
    case 'cuda': {
      const dir = bindingDir();
      const lib = dir && join(dir, 'libonnxruntime_providers_cuda.so');
      if (process.platform === 'linux' && (!lib || !existsSync(lib)))
        return {
          name: p,
          available: false,
          reason:
            `the CUDA provider library is not installed (${lib ?? 'onnxruntime-node binding folder'} is missing): ` +
            'onnxruntime-node was installed without its CUDA download; reinstall it with network access on a machine with CUDA 12 and cuDNN 9',
        };
      try {
        await tryProvider('cuda');
        return { name: p, available: true, reason: 'CUDA provider loaded and ran a test' };
      } catch (e) {
        return { name: p, available: false, reason: `the CUDA provider failed to start: ${message(e)}` };
      }
    }
    case 'webgpu': {
      const skip = webgpuSkipReason(explicit);
      if (skip) return { name: p, available: false, reason: skip };
      try {
        await tryProvider('webgpu');
      } catch (e) {
        const hint = process.platform === 'linux' ? ' (install a Vulkan driver: the GPU vendor\'s, or Mesa ≥ 23)' : '';
        return { name: p, available: false, reason: `no usable WebGPU adapter${hint}: ${message(e).split('\n')[0]}` };
      }
      return softwareAdapterOnly()
        ? { name: p, available: true, reason: 'works, but no GPU device was found, so the adapter is a CPU emulation (Mesa lavapipe or SwiftShader), slower than the CPU provider' }
        : { name: p, available: true, reason: 'WebGPU adapter found and ran a test' };
    }
  }
}

/**
 * Probes the providers in preference order and picks the first usable one. In automatic mode
 * (`explicit` false) a software-only WebGPU adapter is passed over, since the CPU provider is faster.
 * The CPU provider is always probed last as the fallback.
 */
export async function chooseProvider(
  preferred: ProviderName[],
  explicit: boolean,
): Promise<{ chosen: ProviderName; report: ProviderReport[] }> {
  const order = [...new Set<ProviderName>([...preferred, 'cpu'])];
  const report: ProviderReport[] = [];
  let chosen: ProviderName | undefined;
  for (const p of order) {
    const r = await probe(p, explicit);
    if (r.available && !chosen) {
      if (!explicit && p === 'webgpu' && softwareAdapterOnly()) r.reason += '; not chosen automatically (ask for webgpu explicitly to use it)';
      else chosen = p;
    }
    report.push(r);
  }
  if (!chosen) throw new Error(`no execution provider works: ${report.map((r) => `${r.name}: ${r.reason}`).join('; ')}`);
  return { chosen, report };
}
