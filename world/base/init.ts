// Seeded random initial weights, as the reference libraries initialise these classes:
//  - diffusers (UNet2DConditionModel, AutoencoderKL): torch's layer defaults — Conv2d/Linear weight and
//    bias ~ U(±1/√fan_in) (kaiming_uniform_ with a = √5), norms weight 1 and bias 0;
//  - transformers' CLIPTextModel (_init_weights, initializer_factor 1): embeddings ~ N(0, 0.02),
//    q/k/v ~ N(0, (H^-½)(2L)^-½), out_proj ~ N(0, H^-½), fc1 ~ N(0, (2H)^-½), fc2 ~ N(0, (H^-½)(2L)^-½),
//    linear biases 0, layer norms 1 / 0.
// Draws come from MT19937 (Box–Muller for normals), one stream per parameter seeded from its name, so
// a parameter's values do not depend on the others.
import { Mt19937 } from '../../sidecar/random/mt19937';

export interface ParamShape {
  name: string;
  shape: readonly number[];
}

function streamSeed(seed: number, name: string): number {
  let h = (2166136261 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h;
}

class Draws {
  private readonly mt: Mt19937;
  constructor(seed: number) {
    this.mt = new Mt19937(seed);
  }
  private unit(): number {
    return (this.mt.nextU32() + 0.5) / 2 ** 32;
  }
  uniform(n: number, bound: number): Float32Array {
    return Float32Array.from({ length: n }, () => (2 * this.unit() - 1) * bound);
  }
  normal(n: number, std: number): Float32Array {
    return Float32Array.from({ length: n }, () => std * Math.sqrt(-2 * Math.log(this.unit())) * Math.cos(2 * Math.PI * this.unit()));
  }
}

const count = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);
const isNorm = (name: string) => /(^|\.)(norm\d?|norm_out|conv_norm_out|group_norm|layer_norm\d?|final_layer_norm|norm_cross)\.(weight|bias)$/.test(name);

/** torch's Conv2d / Linear defaults; norms 1 / 0 (diffusers' UNet and VAE keep these). */
export function torchDefaultInit(params: readonly ParamShape[], seed: number): Map<string, Float32Array> {
  const shapes = new Map(params.map((p) => [p.name, p.shape]));
  const out = new Map<string, Float32Array>();
  for (const { name, shape } of params) {
    const n = count(shape);
    if (isNorm(name)) {
      out.set(name, new Float32Array(n).fill(name.endsWith('.weight') ? 1 : 0));
      continue;
    }
    const weight = name.endsWith('.bias') ? shapes.get(name.slice(0, -'bias'.length) + 'weight') : shape;
    if (!weight || weight.length < 2) throw new Error(`init: no rule for "${name}" [${shape.join(', ')}]`);
    const fanIn = count(weight.slice(1));
    out.set(name, new Draws(streamSeed(seed, name)).uniform(n, 1 / Math.sqrt(fanIn)));
  }
  return out;
}

/** transformers' CLIPTextModel initialisation for hidden size H and L layers. */
export function clipTextInit(params: readonly ParamShape[], seed: number, o: { hidden: number; layers: number }): Map<string, Float32Array> {
  const inProj = o.hidden ** -0.5 * (2 * o.layers) ** -0.5;
  const rules: [RegExp, (n: number, d: Draws) => Float32Array][] = [
    [/layer_norm\d?\.weight$/, (n) => new Float32Array(n).fill(1)],
    [/\.bias$/, (n) => new Float32Array(n)],
    [/_embedding\.weight$/, (n, d) => d.normal(n, 0.02)],
    [/\.(q|k|v)_proj\.weight$/, (n, d) => d.normal(n, inProj)],
    [/\.out_proj\.weight$/, (n, d) => d.normal(n, o.hidden ** -0.5)],
    [/\.fc1\.weight$/, (n, d) => d.normal(n, (2 * o.hidden) ** -0.5)],
    [/\.fc2\.weight$/, (n, d) => d.normal(n, inProj)],
  ];
  const out = new Map<string, Float32Array>();
  for (const { name, shape } of params) {
    const rule = rules.find(([re]) => re.test(name));
    if (!rule) throw new Error(`init: no CLIP rule for "${name}"`);
    out.set(name, rule[1](count(shape), new Draws(streamSeed(seed, name))));
  }
  return out;
}
