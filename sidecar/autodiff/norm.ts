// Gradient of InstanceNormalization, y = x̂·scale + bias with x̂ = (x − μ)/σ over the spatial
// axes. The statistics are recomputed from x (the fused forward keeps none):
//   dbias = Σ g,   dscale = Σ g·x̂   (over N and the spatial axes)
//   dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) / σ   with ĝ = g·scale
import * as op from '../graph/ops';
import type { Value } from '../graph/types';
import type { Thunk } from './rules';

export function instanceNormVjp(n: Value<'InstanceNormalization'>, g: Value): Thunk[] {
  const [x, scale] = [n.input(0), n.input(1)];
  const axes = x.shape.map((_, i) => i).slice(2);
  const perChannel = (v: Value) => op.Reshape(v, [x.dim(1), ...axes.map(() => 1)]);
  let stats: { xhat: Value; sigma: Value } | undefined;
  const s = () => {
    if (!stats) {
      const d = op.Sub(x, op.ReduceMean(x, axes));
      const sigma = op.Sqrt(op.Add(op.ReduceMean(op.Mul(d, d), axes), n.attrs.epsilon));
      stats = { xhat: op.Div(d, sigma), sigma };
    }
    return stats;
  };
  return [
    () => {
      const { xhat, sigma } = s();
      const gh = op.Mul(g, perChannel(scale));
      return op.Div(op.Sub(op.Sub(gh, op.ReduceMean(gh, axes)), op.Mul(xhat, op.ReduceMean(op.Mul(gh, xhat), axes))), sigma);
    },
    () => op.ReduceSum(op.Mul(g, s().xhat), [0, ...axes], false),
    () => op.ReduceSum(g, [0, ...axes], false),
  ];
}
