// Names shared by the concept-file schema, the CLI, the sidecar and the extension: one list each.

/** Samplers, by the names the concept file and CLI use (diffusers class in the comment). */
export const SAMPLERS = [
  'ddim', // DDIMScheduler
  'pndm', // PNDMScheduler (SD 1.5's default, PLMS)
  'euler', // EulerDiscreteScheduler
  'euler_a', // EulerAncestralDiscreteScheduler
  'dpmpp_2m', // DPMSolverMultistepScheduler
  'dpmpp_2m_karras', // DPMSolverMultistepScheduler(use_karras_sigmas=True)
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** ONNX Runtime execution providers we know how to use. */
export const PROVIDERS = ['cpu', 'webgpu', 'cuda'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const TRAIN_METHODS = ['lora', 'full'] as const;
/** Learning-rate schedules, with diffusers' names and definitions (diffusers.optimization). */
export const LR_SCHEDULERS = ['constant', 'constant_with_warmup', 'linear', 'cosine', 'cosine_with_restarts', 'polynomial'] as const;
export type LrSchedulerName = (typeof LR_SCHEDULERS)[number];
export type TrainMethod = (typeof TRAIN_METHODS)[number];
/** accelerate's --mixed_precision values we run: float32 throughout, or float16 compute with loss scaling
 *  (bf16 has no kernels in ONNX Runtime's WebGPU and CPU providers). */
export const MIXED_PRECISION = ['no', 'fp16'] as const;
export type MixedPrecision = (typeof MIXED_PRECISION)[number];

/** What `dreambooth export` writes: a kohya LoRA, a merged single-file checkpoint (original layout), a diffusers folder. */
export const EXPORT_FORMATS = ['lora', 'checkpoint', 'diffusers'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
