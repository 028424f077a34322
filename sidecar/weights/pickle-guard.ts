// Pickled PyTorch checkpoints can run arbitrary code when loaded; a file is refused by its content,
// whatever its name says.
import { open } from 'node:fs/promises';
import { pickleRefusal } from './load-errors';

/** A .safetensors name does not make a file safe: zip (torch.save) and raw pickle magic are refused too. */
export async function refuseDisguisedPickle(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    const isZip = bytesRead === 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
    const isPickle = bytesRead >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5;
    if (isZip || isPickle) throw pickleRefusal(path, 'this file is a PyTorch pickle (torch.save) despite its name');
  } finally {
    await fh.close();
  }
}
