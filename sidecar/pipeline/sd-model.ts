// An opened SD 1.x model with its networks compiled on demand: one session per (network, batch,
// size), built from the checkpoint's configs, weights read in place. Float arrays in and out; the
// compute dtype (float16 on GPU providers, float32 on CPU) stays inside.
import type { DType } from '../graph/types';
import { buildTextEncoder } from '../models/clip_text_model';
import { buildUNet, UNET_INPUTS } from '../models/unet_2d_condition';
import { contextDim } from '../models/configs';
import { buildVaeDecoder, buildVaeEncoder } from '../models/autoencoder_kl';
import type { Runtime, Session } from '../runtime/runtime';
import { openCheckpoint, type SdCheckpoint } from '../weights/checkpoint';
import { asF32, floatTensor, loadComponent, paramSpecs } from './components';
import { mergeLora } from '../weights/lora-merge';
import { openTrainedWeights, weightEdits, type TrainedWeights } from '../weights/trained-weights';
import { readRefF32 } from '../weights/tensor-ref';
import type { Component } from '../weights/sd1-keymap';

export interface SdModelOptions {
  /** Compute dtype of the UNet and text encoder (the VAE always runs in float32, as diffusers' force_upcast). */
  dtype?: 'float32' | 'float16';
  cacheDir?: string;
  /** For a single-file checkpoint of a non-standard size: a diffusers folder whose configs describe it. */
  configsFrom?: string;
  /** A kohya LoRA merged into the UNet and text encoder weights at load (multiplier default 1), or a
   *  fully fine-tuned run's weights file (weights/trained-weights.ts), whose tensors replace the base's. */
  lora?: { path: string; multiplier?: number };
}

export class SdModel {
  private readonly sessions = new Map<string, Promise<Session>>();
  readonly dtype: 'float32' | 'float16';

  private constructor(
    readonly checkpoint: SdCheckpoint,
    readonly runtime: Runtime,
    private readonly opts: SdModelOptions,
  ) {
    this.dtype = opts.dtype ?? 'float32';
  }

  static async open(path: string, runtime: Runtime, opts: SdModelOptions = {}): Promise<SdModel> {
    return new SdModel(await openCheckpoint(path, { configsFrom: opts.configsFrom }), runtime, opts);
  }

  /** Image pixels per latent pixel: 2^(VAE blocks − 1), 8 for SD 1.x (diffusers' vae_scale_factor). */
  get vaeScale(): number {
    return 2 ** (this.checkpoint.vae.block_out_channels.length - 1);
  }

  private trained?: Promise<TrainedWeights>;
  private readonly merged = new Map<Component, Promise<Map<string, Float32Array>>>();

  /** The LoRA-merged or fine-tuned weights of a component (none without them), computed once. */
  private overrides(component: Component): Promise<Map<string, Float32Array>> | undefined {
    const lora = this.opts.lora;
    if (!lora) return undefined;
    let m = this.merged.get(component);
    if (!m) {
      this.trained ??= openTrainedWeights(lora.path);
      m = this.trained.then(async (t) => {
        if (t.kind === 'lora') return mergeLora(this.checkpoint.weights[component], t.modules, lora.multiplier ?? 1, lora.path);
        const out = new Map<string, Float32Array>();
        for (const [key, edit] of weightEdits(this.checkpoint, t)[component]) if (edit.kind === 'replace') out.set(key, await readRefF32(edit.ref));
        return out;
      });
      this.merged.set(component, m);
    }
    return m;
  }

  /** Fails early (before any network is built) when the LoRA does not fit this model. */
  async checkLora(): Promise<void> {
    await Promise.all([this.overrides('unet'), this.overrides('text_encoder')]);
  }

  private session(key: string, make: () => Promise<Session>): Promise<Session> {
    let s = this.sessions.get(key);
    if (!s) {
      s = make();
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }

  /** input ids [B][L] → last_hidden_state [B, L, H] (and, on request, hidden_states and clip_skip_1). */
  async encodeText(ids: number[][], opts: { hiddenStates?: boolean } = {}): Promise<Record<string, Float32Array>> {
    const cfg = this.checkpoint.textEncoder;
    const batch = ids.length;
    const length = ids[0]?.length ?? cfg.max_position_embeddings;
    const dtype: DType = this.dtype;
    const s = await this.session(`text_encoder:${batch}:${length}:${!!opts.hiddenStates}`, () =>
      (async () =>
        loadComponent(this.runtime, buildTextEncoder(cfg, { batch, length, dtype, hiddenStates: opts.hiddenStates }), this.checkpoint.weights.text_encoder, {
          cacheDir: this.opts.cacheDir,
          overrides: await this.overrides('text_encoder'),
        }))(),
    );
    const flat = BigInt64Array.from(ids.flat(), (v) => BigInt(v));
    const out = await s.run({ input_ids: { dtype: 'int64', dims: [batch, length], data: flat } });
    return Object.fromEntries(Object.keys(out).map((k) => [k, asF32(out[k], `text encoder ${k}`)]));
  }

  /** One UNet evaluation: sample [B, C, h, w], timesteps [B], context [B, L, D] → model output. */
  async unet(sample: Float32Array, timesteps: number[], context: Float32Array, size: { batch: number; height: number; width: number }, opts: { intermediates?: boolean } = {}): Promise<Record<string, Float32Array>> {
    const cfg = this.checkpoint.unet;
    const { batch, height, width } = size;
    const dim = contextDim(cfg);
    const length = context.length / (batch * dim);
    const s = await this.session(`unet:${batch}:${height}:${width}:${length}:${!!opts.intermediates}`, () =>
      (async () =>
        loadComponent(this.runtime, buildUNet(cfg, { batch, height, width, dtype: this.dtype, contextLength: length, intermediates: opts.intermediates }), this.checkpoint.weights.unet, {
          cacheDir: this.opts.cacheDir,
          overrides: await this.overrides('unet'),
        }))(),
    );
    const out = await s.run({
      [UNET_INPUTS.sample]: floatTensor(sample, [batch, cfg.in_channels, height, width], this.dtype),
      [UNET_INPUTS.timestep]: floatTensor(Float32Array.from(timesteps), [batch]),
      [UNET_INPUTS.context]: floatTensor(context, [batch, length, dim], this.dtype),
    });
    return Object.fromEntries(Object.keys(out).map((k) => [k, asF32(out[k], `unet ${k}`)]));
  }

  /** The VAE's parameters in both halves, so binding one half still checks the whole file. */
  private vaeSiblings(half: 'encoder' | 'decoder') {
    const cfg = this.checkpoint.vae;
    const small = { batch: 1, height: 8 << cfg.block_out_channels.length, width: 8 << cfg.block_out_channels.length };
    return paramSpecs((half === 'encoder' ? buildVaeDecoder(cfg, small) : buildVaeEncoder(cfg, small)).params);
  }

  /** latents [B, 4, h, w] (already divided by scaling_factor unless `latentScale`) → decoder output [B, 3, h·vaeScale, w·vaeScale]. */
  async vaeDecode(latents: Float32Array, size: { batch: number; height: number; width: number }, latentScale = 1): Promise<Float32Array> {
    const cfg = this.checkpoint.vae;
    const s = await this.session(`vae_decoder:${size.batch}:${size.height}:${size.width}:${latentScale}`, () =>
      loadComponent(this.runtime, buildVaeDecoder(cfg, { ...size, latentScale }), this.checkpoint.weights.vae, { cacheDir: this.opts.cacheDir, siblings: this.vaeSiblings('decoder') }),
    );
    const out = await s.run({ latents: floatTensor(latents, [size.batch, cfg.latent_channels, size.height, size.width]) });
    return asF32(out.image, 'vae decoder');
  }

  /** image [B, 3, H, W] in [-1, 1] → { mean, logvar, std } of the latent distribution. */
  async vaeEncode(image: Float32Array, size: { batch: number; height: number; width: number }): Promise<Record<string, Float32Array>> {
    const cfg = this.checkpoint.vae;
    const s = await this.session(`vae_encoder:${size.batch}:${size.height}:${size.width}`, () =>
      loadComponent(this.runtime, buildVaeEncoder(cfg, size), this.checkpoint.weights.vae, { cacheDir: this.opts.cacheDir, siblings: this.vaeSiblings('encoder') }),
    );
    const out = await s.run({ image: floatTensor(image, [size.batch, cfg.in_channels, size.height, size.width]) });
    return Object.fromEntries(Object.keys(out).map((k) => [k, asF32(out[k], `vae encoder ${k}`)]));
  }

  /** Frees the sessions of one network (e.g. the text encoder once the prompts are encoded). */
  async release(network: 'text_encoder' | 'unet' | 'vae_decoder' | 'vae_encoder'): Promise<void> {
    for (const [key, s] of [...this.sessions]) {
      if (!key.startsWith(`${network}:`)) continue;
      this.sessions.delete(key);
      await (await s.catch(() => undefined))?.release();
    }
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s.catch(() => undefined))?.release();
  }
}
