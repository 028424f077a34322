// The VAE's training step as one graph (the LDM autoencoder objective without its GAN and LPIPS
// terms, which flat synthetic shapes do not need):
//   mean, logvar = encoder(x);  z = mean + exp(logvar/2)·ε           (DiagonalGaussianDistribution.sample)
//   loss = mean((decoder(z) − x)²) + kl_weight · mean(½(mean² + exp(logvar) − 1 − logvar))
// then AdamW on every encoder and decoder weight — or, for the decoder fine-tune, on the decoder's
// alone: the encoder stays frozen, so the latent space the UNet learnt is unchanged (what Stability did
// for SD's ft-MSE VAE), and the KL term, constant then, only reports.
import { grad } from '../../sidecar/autodiff/grad';
import * as op from '../../sidecar/graph/ops';
import type { Value } from '../../sidecar/graph/types';
import { buildVaeDecoder, buildVaeEncoder } from '../../sidecar/models/autoencoder_kl';
import type { VaeConfig } from '../../sidecar/models/configs';
import { adamw, type AdamWGraph } from '../../sidecar/optim/adamw';
import { TrainGraph } from '../../sidecar/training/train-graph';
import { IMAGE_SIZE, LATENT_SIZE } from './config';

export const VAE_IO = { image: 'image', eps: 'eps', loss: 'loss', rec: 'loss_rec', kl: 'loss_kl' } as const;

export interface VaeStepGraph {
  graph: TrainGraph;
  adam: AdamWGraph;
}

/** Removes a builder's output from the graph and returns its value (the step uses it, not the caller). */
function take(g: TrainGraph, name: string): Value {
  const i = g.outputs.findIndex((o) => o.name === name);
  if (i < 0) throw new Error(`vae step: the builder made no output "${name}"`);
  return g.outputs.splice(i, 1)[0]!.value;
}

/** The encoder's logvar before its [-30, 20] clamp (Min/Max have no gradient rule; the KL term keeps
 *  logvar in range while training). */
function unclamped(logvar: Value): Value {
  const max = logvar.op === 'Min' ? logvar.inputs[0] : undefined;
  const raw = max?.op === 'Max' ? max.inputs[0] : undefined;
  if (!raw) throw new Error('vae step: the encoder no longer clamps logvar as Min(Max(x))');
  return raw;
}

/** The decoder's side of the VAE: what a decoder fine-tune trains. */
export const isDecoderParam = (name: string): boolean => name.startsWith('decoder.') || name.startsWith('post_quant_conv.');

export function buildVaeStep(cfg: VaeConfig, batch: number, klWeight: number, train: 'all' | 'decoder' = 'all'): VaeStepGraph {
  const g = new TrainGraph({ full: train === 'all' ? () => true : isDecoderParam }, 'vae_train');
  buildVaeEncoder(cfg, { batch, height: IMAGE_SIZE, width: IMAGE_SIZE, graph: g });
  const x = g.inputs.find((v) => v.name === VAE_IO.image)!;
  const mean = take(g, 'mean');
  const logvar = unclamped(take(g, 'logvar'));
  take(g, 'std');
  const std = op.Exp(op.Mul(logvar, 0.5));
  const eps = g.input(VAE_IO.eps, 'float32', [batch, cfg.latent_channels, LATENT_SIZE, LATENT_SIZE]);
  const z = op.Add(mean, op.Mul(std, eps));
  buildVaeDecoder(cfg, { batch, height: LATENT_SIZE, width: LATENT_SIZE, graph: g, latents: z });
  const recon = take(g, 'image');
  const params = g.finish();
  const all = (v: Value) => v.shape.map((_, i) => i);
  const d = op.Sub(recon, x);
  const rec = op.ReduceMean(op.Mul(d, d), all(d), false);
  const klTerms = op.Mul(op.Sub(op.Add(op.Mul(mean, mean), op.Exp(logvar)), op.Add(logvar, 1)), 0.5);
  const kl = op.ReduceMean(klTerms, all(klTerms), false);
  const loss = train === 'all' ? op.Add(rec, op.Mul(kl, klWeight)) : rec;
  g.output(loss, VAE_IO.loss);
  g.output(rec, VAE_IO.rec);
  g.output(kl, VAE_IO.kl);
  const adam = adamw(g, params, grad(loss, params), { weightDecay: 0, maxGradNorm: 1 });
  return { graph: g, adam };
}
