// Reads a tEXt chunk from PNG bytes (independent of the writer under test).
export function extractText(png: Uint8Array, keyword: string): string | undefined {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let at = 8; at + 12 <= png.length; ) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    if (type === 'tEXt') {
      const body = png.subarray(at + 8, at + 8 + len);
      const nul = body.indexOf(0);
      if (Buffer.from(body.subarray(0, nul)).toString('latin1') === keyword) return Buffer.from(body.subarray(nul + 1)).toString('latin1');
    }
    at += 12 + len;
  }
  return undefined;
}
