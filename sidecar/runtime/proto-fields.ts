// Protobuf messages read field by field as byte ranges, so the runtime can rewrite a few fields of a
// model ONNX Runtime saved (optimized-model.ts) and copy every other byte as it was — including
// fields our own ONNX schema does not model, which a decode/encode round trip would drop.

export interface RawField {
  field: number;
  /** 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
  wire: number;
  /** The whole field, key included: what to copy to keep it unchanged. */
  bytes: Uint8Array;
  /** A length-delimited field's contents. */
  payload?: Uint8Array;
  /** A varint field's value (exact below 2^53). */
  value?: number;
}

function varint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    const b = buf[i]!; // i < buf.length
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return [value, i + 1];
  }
  throw new Error(`protobuf: truncated or overlong varint at byte ${pos}`);
}

/** The fields of one message, in order. Throws on a truncated or malformed message. */
export function readFields(msg: Uint8Array): RawField[] {
  const out: RawField[] = [];
  let pos = 0;
  while (pos < msg.length) {
    const start = pos;
    const [key, afterKey] = varint(msg, pos);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let f: Omit<RawField, 'bytes'> = { field, wire };
    if (wire === 0) {
      const [value, next] = varint(msg, afterKey);
      f = { field, wire, value };
      pos = next;
    } else if (wire === 2) {
      const [len, next] = varint(msg, afterKey);
      if (next + len > msg.length) throw new Error(`protobuf: field ${field} runs past the end of the message`);
      f = { field, wire, payload: msg.subarray(next, next + len) };
      pos = next + len;
    } else if (wire === 1 || wire === 5) pos = afterKey + (wire === 1 ? 8 : 4);
    else throw new Error(`protobuf: unsupported wire type ${wire} (field ${field}) at byte ${start}`);
    if (pos > msg.length) throw new Error(`protobuf: field ${field} runs past the end of the message`);
    out.push({ ...f, bytes: msg.subarray(start, pos) });
  }
  return out;
}

/** A protobuf varint's bytes (onnx-wire.ts writes its messages with it too). */
export function varintBytes(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A length-delimited field: key, length, payload. */
export function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.from([...varintBytes(field * 8 + 2), ...varintBytes(payload.length)]), payload]);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

const decoder = new TextDecoder();
export const fieldString = (f: RawField): string => decoder.decode(f.payload ?? new Uint8Array());

/** The values of a repeated integer field, packed or not (TensorProto.dims). */
export function repeatedInts(fields: readonly RawField[], field: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.value !== undefined) out.push(f.value);
    else if (f.payload) for (let pos = 0; pos < f.payload.length; ) {
      const [v, next] = varint(f.payload, pos);
      out.push(v);
      pos = next;
    }
  }
  return out;
}
