// The subset of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto, proto2) that we emit, as a
// protobufjs JSON descriptor so the bundle needs no .proto file at runtime. Field numbers are the
// spec's; enums are carried as int32 (values in builder.ts).
const f = (type: string, id: number, repeated = false) => (repeated ? { type, id, rule: 'repeated' } : { type, id });

export const onnxSchema = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: { fields: { key: f('string', 1), value: f('string', 2) } },
        OperatorSetIdProto: { fields: { domain: f('string', 1), version: f('int64', 2) } },
        TensorShapeProto: {
          fields: { dim: f('Dimension', 1, true) },
          nested: { Dimension: { oneofs: { value: { oneof: ['dim_value', 'dim_param'] } }, fields: { dim_value: f('int64', 1), dim_param: f('string', 2), denotation: f('string', 3) } } },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensor_type'] } },
          fields: { tensor_type: f('Tensor', 1), denotation: f('string', 6) },
          nested: { Tensor: { fields: { elem_type: f('int32', 1), shape: f('TensorShapeProto', 2) } } },
        },
        ValueInfoProto: { fields: { name: f('string', 1), type: f('TypeProto', 2), doc_string: f('string', 3) } },
        TensorProto: {
          fields: {
            dims: f('int64', 1, true),
            data_type: f('int32', 2),
            float_data: f('float', 4, true),
            int32_data: f('int32', 5, true),
            int64_data: f('int64', 7, true),
            name: f('string', 8),
            raw_data: f('bytes', 9),
            double_data: f('double', 10, true),
            doc_string: f('string', 12),
            external_data: f('StringStringEntryProto', 13, true),
            data_location: f('int32', 14),
          },
        },
        AttributeProto: {
          fields: {
            name: f('string', 1),
            f: f('float', 2),
            i: f('int64', 3),
            s: f('bytes', 4),
            t: f('TensorProto', 5),
            floats: f('float', 7, true),
            ints: f('int64', 8, true),
            strings: f('bytes', 9, true),
            doc_string: f('string', 13),
            type: f('int32', 20),
          },
        },
        NodeProto: {
          fields: {
            input: f('string', 1, true),
            output: f('string', 2, true),
            name: f('string', 3),
            op_type: f('string', 4),
            attribute: f('AttributeProto', 5, true),
            doc_string: f('string', 6),
            domain: f('string', 7),
          },
        },
        GraphProto: {
          fields: {
            node: f('NodeProto', 1, true),
            name: f('string', 2),
            initializer: f('TensorProto', 5, true),
            doc_string: f('string', 10),
            input: f('ValueInfoProto', 11, true),
            output: f('ValueInfoProto', 12, true),
            value_info: f('ValueInfoProto', 13, true),
          },
        },
        ModelProto: {
          fields: {
            ir_version: f('int64', 1),
            producer_name: f('string', 2),
            producer_version: f('string', 3),
            domain: f('string', 4),
            model_version: f('int64', 5),
            doc_string: f('string', 6),
            graph: f('GraphProto', 7),
            opset_import: f('OperatorSetIdProto', 8, true),
            metadata_props: f('StringStringEntryProto', 14, true),
          },
        },
      },
    },
  },
};
