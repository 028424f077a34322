// The environment the compute process starts with, for the extension's sidecar and the CLI alike.
//
// glibc's malloc keeps freed blocks below its (self-raising, up to 32 MiB) mmap threshold in the heap,
// and a heap only shrinks from the top: ONNX Runtime's tensors of one step, freed in another order
// than allocated, left the process gigabytes above its live data (SD 1.5 training at 512²: 11.4 GB
// peak against 8.0 GB with these settings). A fixed 256 KiB threshold maps every tensor on its own
// and gives it back when freed. Inference speed was unchanged (bench/RESULTS.md).
// A tensor mapped afresh is faulted in page by page: `hugetlb=1` asks for transparent huge pages
// (where the system allows them on request), so a 64 MiB score block is 32 faults, not 16384 (SD 1.5
// LoRA step at 512²: 1.5 M faults a step → 0.4 M, −0.2 s, −90 MiB). glibc before 2.35 ignores it.
const TUNABLES = 'glibc.malloc.mmap_threshold=262144:glibc.malloc.trim_threshold=1048576:glibc.malloc.hugetlb=1';

/** `env` plus the allocator settings (a user's own GLIBC_TUNABLES are kept and take precedence). */
export function sidecarEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (process.platform !== 'linux') return env;
  const own = env.GLIBC_TUNABLES;
  return { ...env, GLIBC_TUNABLES: own ? `${TUNABLES}:${own}` : TUNABLES };
}

/** True when this process was started with the settings (GLIBC_TUNABLES is read once, at start-up). */
export function hasSidecarEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return process.platform !== 'linux' || (env.GLIBC_TUNABLES ?? '').includes(TUNABLES);
}
