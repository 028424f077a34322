// Scheduler configuration under diffusers' field names, so a model's `scheduler_config.json` can be
// passed straight in. Unknown keys (e.g. `_class_name`, `skip_prk_steps` for a DDIM) are ignored, as
// diffusers' `from_config` does; each scheduler applies its own class defaults to missing keys.

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';

export interface SchedulerConfig {
  num_train_timesteps?: number;
  beta_start?: number;
  beta_end?: number;
  beta_schedule?: BetaSchedule;
  trained_betas?: number[] | null;
  prediction_type?: PredictionType;
  timestep_spacing?: TimestepSpacing;
  steps_offset?: number;
  /** DDIM/PNDM: alpha_cumprod "before" step 0 (1.0) or alphas_cumprod[0]. */
  set_alpha_to_one?: boolean;
  clip_sample?: boolean;
  clip_sample_range?: number;
  /** PNDM: only the PLMS path (true) is implemented, as in every SD 1.x config. */
  skip_prk_steps?: boolean;
  use_karras_sigmas?: boolean;
  /** DPM-Solver++ */
  solver_order?: number;
  algorithm_type?: string;
  solver_type?: string;
  lower_order_final?: boolean;
  euler_at_final?: boolean;
  final_sigmas_type?: 'zero' | 'sigma_min';
  /** Unknown keys are allowed and ignored. */
  [key: string]: unknown;
}

/** The fields every scheduler needs, with diffusers' defaults for SD 1.x. */
export interface CommonConfig {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  trained_betas: number[] | null;
  prediction_type: PredictionType;
  timestep_spacing: TimestepSpacing;
  steps_offset: number;
}

const BETA_SCHEDULES: readonly BetaSchedule[] = ['linear', 'scaled_linear', 'squaredcos_cap_v2'];
const PREDICTION_TYPES: readonly PredictionType[] = ['epsilon', 'v_prediction', 'sample'];
const SPACINGS: readonly TimestepSpacing[] = ['linspace', 'leading', 'trailing'];

export class SchedulerConfigError extends Error {
  override name = 'SchedulerConfigError';
}

function pick<T>(cfg: SchedulerConfig, key: string, allowed: readonly T[], fallback: T): T {
  const v = cfg[key];
  if (v === undefined || v === null) return fallback;
  if (!allowed.includes(v as T)) throw new SchedulerConfigError(`scheduler config: ${key} = ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
  return v as T;
}

export function num(cfg: SchedulerConfig, key: string, fallback: number, check: (v: number) => boolean = Number.isFinite): number {
  const v = cfg[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !check(v)) throw new SchedulerConfigError(`scheduler config: ${key} = ${JSON.stringify(v)} is not valid`);
  return v;
}

export function bool(cfg: SchedulerConfig, key: string, fallback: boolean): boolean {
  const v = cfg[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new SchedulerConfigError(`scheduler config: ${key} = ${JSON.stringify(v)} is not a boolean`);
  return v;
}

/** Resolves the common fields; `spacing` is the class's own default timestep_spacing. */
export function resolveCommon(cfg: SchedulerConfig, spacing: TimestepSpacing): CommonConfig {
  const trained = cfg.trained_betas;
  if (trained != null && (!Array.isArray(trained) || !trained.every((b) => typeof b === 'number' && b > 0 && b < 1))) {
    throw new SchedulerConfigError('scheduler config: trained_betas must be an array of numbers in (0, 1)');
  }
  const out: CommonConfig = {
    num_train_timesteps: num(cfg, 'num_train_timesteps', trained?.length ?? 1000, (v) => Number.isInteger(v) && v >= 2),
    beta_start: num(cfg, 'beta_start', 0.0001, (v) => v > 0 && v < 1),
    beta_end: num(cfg, 'beta_end', 0.02, (v) => v > 0 && v < 1),
    beta_schedule: pick(cfg, 'beta_schedule', BETA_SCHEDULES, 'linear'),
    trained_betas: trained ?? null,
    prediction_type: pick(cfg, 'prediction_type', PREDICTION_TYPES, 'epsilon'),
    timestep_spacing: pick(cfg, 'timestep_spacing', SPACINGS, spacing),
    steps_offset: num(cfg, 'steps_offset', 0, (v) => Number.isInteger(v) && v >= 0),
  };
  if (trained && trained.length !== out.num_train_timesteps) {
    throw new SchedulerConfigError(`scheduler config: trained_betas has ${trained.length} entries but num_train_timesteps is ${out.num_train_timesteps}`);
  }
  return out;
}
