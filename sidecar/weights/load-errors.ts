// Errors while opening a model: the message names the file or folder and says what to do.

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

const PICKLE_HINT =
  'Pickle files can run arbitrary code when loaded, so they are never opened. Convert it to .safetensors first, for example:\n' +
  '  python -c "import torch, safetensors.torch as st; sd = torch.load(\'MODEL.ckpt\', map_location=\'cpu\', weights_only=True); sd = sd.get(\'state_dict\', sd); ' +
  "st.save_file({k: v.contiguous() for k, v in sd.items() if hasattr(v, 'contiguous')}, 'MODEL.safetensors')\"\n" +
  'or load it in AUTOMATIC1111/ComfyUI and save it as .safetensors (most model sites also offer a .safetensors download).';

/** A legacy PyTorch pickle (.ckpt/.pt/.pth/.bin) is refused with instructions, never read. */
export function pickleRefusal(path: string, why: string): ModelLoadError {
  return new ModelLoadError(`${path}: ${why}. ${PICKLE_HINT}`);
}
