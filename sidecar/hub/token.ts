// The token when none is given, as huggingface_hub finds it: $HF_TOKEN, else the file that
// `huggingface-cli login` writes ($HF_TOKEN_PATH, else $HF_HOME/token, else ~/.cache/huggingface/token).
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export async function defaultToken(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (env.HF_TOKEN?.trim()) return env.HF_TOKEN.trim();
  const file = env.HF_TOKEN_PATH || join(env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface'), 'token');
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim() || undefined;
}
