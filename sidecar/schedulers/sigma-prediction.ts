// x̂₀ from a model output in the σ parameterisation (x = x₀ + σ·ε, network input x/√(σ²+1)).
//   epsilon:      x̂₀ = x − σ·ε̂
//   v_prediction: x̂₀ = −σ/√(σ²+1) · v̂ + x/(σ²+1)     (v of the VP-scaled input, Salimans & Ho 2022)
//   sample:       x̂₀ = model output

import type { PredictionType } from './config';

export function sigmaX0(type: PredictionType, sigma: number, modelOutput: number, x: number): number {
  switch (type) {
    case 'epsilon':
      return x - sigma * modelOutput;
    case 'v_prediction':
      return modelOutput * (-sigma / Math.sqrt(sigma * sigma + 1)) + x / (sigma * sigma + 1);
    case 'sample':
      return modelOutput;
  }
}
