// A thin ONNX builder in the spirit of onnx/helper.py: makeNode, makeTensor (byte length checked
// against dims, both numbers in the error), value infos, one version table, and the encoder.
import protobuf from 'protobufjs';
import type { DType, Shape } from '../graph/types';
import { onnxSchema } from './schema';

/** The versions we emit. ORT 1.30 loads opsets 17–26 with IR ≤ 13; opset 21 (IR 10) is the first
 *  with today's GroupNormalization and has every op we use. */
export const VERSIONS = { opset: 21, irVersion: 10 } as const;
/** IR version required by each opset (onnx/helper.py VERSION_TABLE). */
export const IR_FOR_OPSET: Record<number, number> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10, 23: 11, 24: 11, 25: 12, 26: 13 };

export const DATA_TYPE: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, bfloat16: 16 };
export const DTYPE_SIZE: Record<DType, number> = { float32: 4, uint8: 1, int32: 4, int64: 8, bool: 1, float16: 2, float64: 8, bfloat16: 2 };
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export interface AttributeMsg { name: string; type: number; f?: number; i?: number; s?: Uint8Array; floats?: number[]; ints?: number[] }
export interface NodeMsg { name: string; op_type: string; input: string[]; output: string[]; attribute: AttributeMsg[]; domain?: string }
export interface TensorMsg {
  name: string;
  dims: number[];
  data_type: number;
  raw_data?: Uint8Array;
  external_data?: { key: string; value: string }[];
  data_location?: number;
}
export interface ValueInfoMsg { name: string; type: { tensor_type: { elem_type: number; shape: { dim: ({ dim_value: number } | { dim_param: string })[] } } } }
export interface GraphMsg { name: string; node: NodeMsg[]; initializer: TensorMsg[]; input: ValueInfoMsg[]; output: ValueInfoMsg[] }

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

/** makeNode('Conv', ['x','w'], ['y'], { strides: [1, 1] }): integers become INT(S); wrap floats as
 *  { float } / { floats } since JS cannot tell 1.0 from 1. */
export function makeNode(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name = outputs[0] ?? opType): NodeMsg {
  const attribute: AttributeMsg[] = Object.entries(attrs).map(([k, v]) => {
    if (typeof v === 'string') return { name: k, type: ATTR.STRING, s: new TextEncoder().encode(v) };
    if (typeof v === 'number') return { name: k, type: ATTR.INT, i: v };
    if (Array.isArray(v)) return { name: k, type: ATTR.INTS, ints: v };
    if ('float' in v) return { name: k, type: ATTR.FLOAT, f: v.float };
    return { name: k, type: ATTR.FLOATS, floats: v.floats };
  });
  return { name, op_type: opType, input: inputs, output: outputs, attribute };
}

/** An initializer with inline bytes; throws when the byte length does not match dims × dtype. */
export function makeTensor(name: string, dtype: DType, dims: readonly number[], raw: Uint8Array): TensorMsg {
  const n = dims.reduce((a, d) => a * d, 1);
  const want = n * DTYPE_SIZE[dtype];
  if (raw.byteLength !== want) {
    throw new Error(`onnx: tensor "${name}" has ${raw.byteLength} bytes, but ${dtype}[${dims.join(',')}] needs ${want}`);
  }
  return { name, dims: [...dims], data_type: DATA_TYPE[dtype], raw_data: raw };
}

/** An initializer whose bytes live in another file (ONNX external data), `location` relative to the model. */
export function makeExternalTensor(name: string, dtype: DType, dims: readonly number[], location: string, offset: number, length: number): TensorMsg {
  const want = dims.reduce((a, d) => a * d, 1) * DTYPE_SIZE[dtype];
  if (length !== want) {
    throw new Error(`onnx: external tensor "${name}" in ${location} has ${length} bytes, but ${dtype}[${dims.join(',')}] needs ${want}`);
  }
  return {
    name,
    dims: [...dims],
    data_type: DATA_TYPE[dtype],
    data_location: 1,
    external_data: [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(length) },
    ],
  };
}

export function makeValueInfo(name: string, dtype: DType, shape: Shape): ValueInfoMsg {
  const dim = shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name, type: { tensor_type: { elem_type: DATA_TYPE[dtype], shape: { dim } } } };
}

let modelType: protobuf.Type | undefined;
export function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(onnxSchema).lookupType('onnx.ModelProto');
  return modelType;
}

export function encodeModel(graph: GraphMsg, opset: number = VERSIONS.opset, irVersion = IR_FOR_OPSET[opset] ?? VERSIONS.irVersion, contribDomains: string[] = []): Uint8Array {
  const T = modelProto();
  const opset_import = [{ domain: '', version: opset }, ...contribDomains.map((domain) => ({ domain, version: 1 }))];
  const msg = { ir_version: irVersion, producer_name: 'dreambooth-sidecar', opset_import, graph };
  const err = T.verify(msg);
  if (err) throw new Error(`onnx: invalid model message: ${err}`);
  return T.encode(T.fromObject(msg)).finish();
}

/** Decodes a model (for tests and debugging). */
export function decodeModel(bytes: Uint8Array): { graph: GraphMsg; opset_import: { version: number }[]; ir_version: number } {
  const T = modelProto();
  return T.toObject(T.decode(bytes), { longs: Number, bytes: Uint8Array as unknown as typeof String, defaults: false }) as never;
}
