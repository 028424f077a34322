// Hugging Face Hub downloads into the shared HF cache (see resolve.ts).
export { resolveModel, type ResolveModelOptions } from './resolve';
export { HubError } from './errors';
export { HubNetworkError } from './http';
export { parseHubSpec, looksLikePath, type HubSpec } from './spec';
export { defaultCacheDir } from './cache';
export { resolveModelForJob } from './job';
export { defaultToken } from './token';
