// What an opened SD 1.x model is, shared by the layouts that open one (diffusers folder, single file)
// and everything that reads weights by reference. A leaf: it imports nothing of the openers.
import type { StDType } from './safetensors';
import type { Component } from './sd1-keymap';
import type { ClipTextConfig, UNetConfig, VaeConfig } from '../models/configs';
import type { JsonObject } from '../models/config-check';

/** One tensor of a weight file (.safetensors or torch.save) as stored: where its bytes are. */
export interface WeightEntry {
  name: string;
  dtype: StDType;
  shape: number[];
  /** Absolute byte offset in the file and byte length (contiguous, little-endian). */
  offset: number;
  length: number;
}

/** A weight file's tensors by stored key, whatever its format. */
export interface WeightIndex {
  path: string;
  format: 'safetensors' | 'torch';
  tensors: Map<string, WeightEntry>;
  /** A safetensors header's string metadata (none for torch files). */
  metadata?: Record<string, string>;
}

export interface TensorRef {
  /** The weight file (.safetensors, or a torch.save zip's stored entry) that holds the bytes. */
  file: string;
  /** The key as written in that file (differs from the diffusers name in single-file checkpoints). */
  sourceKey: string;
  dtype: StDType;
  /** Shape under the diffusers name (a reshape of the stored shape where the layouts differ). */
  shape: number[];
  storedShape: number[];
  /** Absolute byte offset in `file` and byte length. */
  offset: number;
  length: number;
}

export interface ComponentWeights {
  component: Component;
  /** Where the weights came from, for messages (a file, or a folder's weight file). */
  source: string;
  tensors: Map<string, TensorRef>;
}

export interface SdCheckpoint {
  layout: 'diffusers' | 'single-file';
  path: string;
  unet: UNetConfig;
  vae: VaeConfig;
  textEncoder: ClipTextConfig;
  /** The scheduler_config.json (or SD 1.x's standard one): the base for every sampler. */
  scheduler: JsonObject;
  tokenizerDir: string;
  /** A single-file checkpoint's configs came from this diffusers folder (undefined: SD 1.x's standard ones). */
  configsFrom?: string;
  weights: Record<Component, ComponentWeights>;
}

