// Errors from talking to the Hugging Face Hub. Every message goes through `redact` so a token can never
// leak into a log, a notification or a file, even when an underlying error happens to quote it.

export class HubError extends Error {
  override name = 'HubError';
}

/** Replaces every occurrence of the token (when there is one) with a placeholder. */
export function redact(text: string, token: string | undefined): string {
  return token ? text.split(token).join('<token>') : text;
}

export function hubError(message: string, token: string | undefined): HubError {
  return new HubError(redact(message, token));
}

export const SET_TOKEN_HINT = "set your token with 'DreamBooth: Set Hugging Face Token'";
