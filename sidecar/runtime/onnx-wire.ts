// The few ONNX protobuf messages the runtime itself needs (an Identity model for safe downloads and
// provider probes, a blocked-layout reorder to read MLAS's block size), written by hand so that the
// worker bundle does not pull in the graph builder.
// Field numbers are those of onnx/onnx.proto.
import type { HostDType } from './types';

/** A protobuf varint's bytes. */
function varintBytes(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** ONNX TensorProto.DataType codes. */
export const ONNX_ELEM_TYPE: Record<HostDType, number> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

/** Minimal protobuf writer: varints, length-delimited strings/bytes and nested messages. */
class Writer {
  private readonly bytes: number[] = [];
  varint(field: number, value: number): this {
    this.key(field, 0);
    this.raw(value);
    return this;
  }
  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }
  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytesField(field, inner.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
  private bytesField(field: number, data: Uint8Array): this {
    this.key(field, 2);
    this.raw(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }
  private key(field: number, wire: number): void {
    this.raw(field * 8 + wire);
  }
  private raw(value: number): void {
    this.bytes.push(...varintBytes(value));
  }
}

/** ValueInfoProto with a symbolic shape (dim_param d0…d{rank-1}) so one model serves every size. */
function valueInfo(w: Writer, name: string, elemType: number, rank: number): void {
  w.string(1, name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.varint(1, elemType).message(2, (shape) => {
        for (let i = 0; i < rank; i++) shape.message(1, (dim) => dim.string(2, `d${i}`));
      }),
    ),
  );
}

/** A model `y = op(x)` of one element type and rank (opset 21, IR 10; `domain` for a contrib op, version 1). */
function oneNodeModel(op: string, elem: number, rank: number, graphName: string, domain?: string): Uint8Array {
  const w = new Writer()
    .varint(1, 10) // ir_version
    .string(2, 'dreambooth-runtime') // producer_name
    .message(7, (graph) => {
      graph.message(1, (node) => {
        node.string(1, 'x').string(2, 'y').string(3, op.toLowerCase()).string(4, op);
        if (domain) node.string(7, domain);
      });
      graph.string(2, graphName);
      graph.message(11, (v) => valueInfo(v, 'x', elem, rank));
      graph.message(12, (v) => valueInfo(v, 'y', elem, rank));
    })
    .message(8, (opset) => opset.string(1, '').varint(2, 21));
  if (domain) w.message(8, (opset) => opset.string(1, domain).varint(2, 1));
  return w.finish();
}

/** A model `y = Identity(x)` for one element type and rank. */
export function identityModel(dtype: HostDType, rank: number): Uint8Array {
  return oneNodeModel('Identity', ONNX_ELEM_TYPE[dtype], rank, `identity_${dtype}_r${rank}`);
}

/** `y = ReorderInput(x)` of ORT's blocked-layout (NCHWc) domain: fed x [1,4,1,1], y's channel count is
 *  MLAS's block size (4 channels rounded up to one block). Loading fails where the kernels are absent. */
export function reorderProbeModel(): Uint8Array {
  return oneNodeModel('ReorderInput', ONNX_ELEM_TYPE.float32, 4, 'nchwc_probe', 'com.microsoft.nchwc');
}
