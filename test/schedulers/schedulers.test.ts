// Every scheduler case of fixtures/tiny-sd/index.json (diffusers 0.27.2, float32 on CPU).
// Tolerances: the reference rounds every intermediate to float32, we compute in float64 and round
// once, so one step may differ by a few float32 roundings of the largest operand:
// K_STEP · eps32 · scale, with scale = max |x_in|, |model_output|, |expected|. Over a free-running
// trajectory of n steps those per-step differences can add up: K_STEP · n · eps32 · scale.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EPS32, SCHEDULER_CASES, Tensors, maxAbs, maxDiff, type SchedulerCase } from './fixture';
import { DdimScheduler } from '../../sidecar/schedulers/ddim';
import { PndmScheduler } from '../../sidecar/schedulers/pndm';
import { EulerScheduler } from '../../sidecar/schedulers/euler';
import { EulerAncestralScheduler } from '../../sidecar/schedulers/euler-ancestral';
import { DpmSolverMultistepScheduler } from '../../sidecar/schedulers/dpm-solver-multistep';
import type { Scheduler, NoiseSource } from '../../sidecar/schedulers/scheduler';
import type { SchedulerConfig } from '../../sidecar/schedulers/config';

const K_STEP = 8;

const CLASSES: Record<string, new (cfg: SchedulerConfig) => Scheduler & { sigmas?: number[] }> = {
  DDIMScheduler: DdimScheduler,
  PNDMScheduler: PndmScheduler,
  EulerDiscreteScheduler: EulerScheduler,
  EulerAncestralDiscreteScheduler: EulerAncestralScheduler,
  DPMSolverMultistepScheduler: DpmSolverMultistepScheduler,
};

let T: Tensors;
before(async () => {
  T = await Tensors.open('cases/schedulers.safetensors');
});

function close(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  const err = maxDiff(got, want);
  assert.ok(err <= tol, `${what}: max |error| ${err.toExponential(3)} > tolerance ${tol.toExponential(3)}`);
}

interface CaseData {
  xInit: Float32Array;
  modelOutput: Float32Array[];
  prev: Float32Array[];
  scaled: Float32Array[];
  x0?: Float32Array[];
  stepNoise?: Float32Array[];
}

async function load(c: SchedulerCase): Promise<CaseData> {
  const p = c.tensors[0]!.split('.')[0]!;
  const opt = async (k: string): Promise<Float32Array[] | undefined> => (T.has(`${p}.${k}`) ? T.rows(`${p}.${k}`) : undefined);
  return {
    xInit: await T.get(`${p}.x_init`),
    modelOutput: await T.rows(`${p}.model_output`),
    prev: await T.rows(`${p}.prev_sample`),
    scaled: await T.rows(`${p}.scaled_model_input`),
    x0: await opt('pred_original_sample'),
    stepNoise: await opt('step_noise'),
  };
}

/** The fixture's per-step noise, handed out in order, as a NoiseSource. */
function replay(noise: Float32Array[] | undefined, step: () => number): NoiseSource | undefined {
  return noise && { randn: (shape) => (assert.equal(shape.reduce((a, b) => a * b, 1), noise[step()]!.length), noise[step()]!) };
}

for (const c of SCHEDULER_CASES) {
  describe(`${c.name} (${c.class}, ${c.num_inference_steps} steps)`, () => {
    const make = (): Scheduler & { sigmas?: number[] } => {
      const Cls = CLASSES[c.class];
      assert.ok(Cls, `no scheduler for ${c.class}`);
      return new Cls(c.resolved_config);
    };

    test('timesteps, sigmas and init_noise_sigma', () => {
      const s = make();
      s.setTimesteps(c.num_inference_steps);
      assert.deepEqual([...s.timesteps], c.timesteps);
      if (c.sigmas) close('sigmas', s.sigmas!, c.sigmas, EPS32 * maxAbs(c.sigmas));
      assert.ok(Math.abs(s.initNoiseSigma - c.init_noise_sigma) <= 2 * EPS32 * c.init_noise_sigma, `init_noise_sigma ${s.initNoiseSigma} vs ${c.init_noise_sigma}`);
    });

    test('each step from the reference input: scaled input, x̂₀, prev_sample', async () => {
      const d = await load(c);
      const s = make();
      s.setTimesteps(c.num_inference_steps);
      let i = 0;
      const noise = replay(d.stepNoise, () => i);
      for (; i < s.timesteps.length; i++) {
        const t = s.timesteps[i]!;
        const x = i === 0 ? d.xInit : d.prev[i - 1]!;
        const scale = Math.max(maxAbs(x), maxAbs(d.modelOutput[i]!), maxAbs(d.prev[i]!));
        close(`step ${i} (t=${t}) scaled_model_input`, s.scaleModelInput(x, t), d.scaled[i]!, K_STEP * EPS32 * maxAbs(d.scaled[i]!));
        const r = s.step(d.modelOutput[i]!, t, x, noise);
        close(`step ${i} (t=${t}) prev_sample`, r.prevSample, d.prev[i]!, K_STEP * EPS32 * scale);
        if (d.x0) close(`step ${i} (t=${t}) pred_original_sample`, r.predOriginalSample!, d.x0[i]!, K_STEP * EPS32 * Math.max(scale, maxAbs(d.x0[i]!)));
      }
    });

    test('free-running trajectory ends at the reference', async () => {
      const d = await load(c);
      const s = make();
      s.setTimesteps(c.num_inference_steps);
      let x: Float32Array = Float32Array.from(d.xInit);
      let i = 0;
      const noise = replay(d.stepNoise, () => i);
      let scale = maxAbs(x);
      for (; i < s.timesteps.length; i++) {
        const t = s.timesteps[i]!;
        s.scaleModelInput(x, t);
        x = s.step(d.modelOutput[i]!, t, x, noise).prevSample;
        scale = Math.max(scale, maxAbs(x), maxAbs(d.modelOutput[i]!));
      }
      close('final sample', x, d.prev[d.prev.length - 1]!, K_STEP * s.timesteps.length * EPS32 * scale);
    });
  });
}
