using System.Text;

namespace GPT4RoI.TestSupport;

/// <summary>
/// Writes tiny ONNX models by hand (protobuf wire format), so tests need no Python or model files.
/// Only the fields ONNX Runtime needs are written: ModelProto.ir_version/opset_import/graph,
/// GraphProto.node/name/input/output, NodeProto.input/output/name/op_type/attribute (int, float, string),
/// ValueInfoProto with a tensor type and symbolic dims.
/// </summary>
public static class TinyOnnx
{
    public const int Float = 1;
    public const int UInt8 = 2;
    public const int Int32 = 6;
    public const int Int64 = 7;
    public const int Float16 = 10;

    public sealed record Node(
        string OpType,
        string[] Inputs,
        string[] Outputs,
        (string Name, long Value)[]? IntAttributes = null,
        (string Name, float Value)[]? FloatAttributes = null,
        (string Name, string Value)[]? StringAttributes = null);

    public sealed record ValueInfo(string Name, int ElemType, string[] Dims);

    public static byte[] Model(IEnumerable<Node> nodes, IEnumerable<ValueInfo> inputs, IEnumerable<ValueInfo> outputs, long opset = 17)
    {
        var graph = new Proto();
        var n = 0;
        foreach (var node in nodes)
        {
            var p = new Proto();
            foreach (var i in node.Inputs)
            {
                p.String(1, i);
            }

            foreach (var o in node.Outputs)
            {
                p.String(2, o);
            }

            p.String(3, $"node{n++}");
            p.String(4, node.OpType);
            foreach (var (name, value) in node.IntAttributes ?? [])
            {
                var attr = new Proto().String(1, name).Varint(3, value).Varint(20, 2); // type = INT
                p.Message(5, attr);
            }

            foreach (var (name, value) in node.FloatAttributes ?? [])
            {
                var attr = new Proto().String(1, name).Fixed32(2, value).Varint(20, 1); // type = FLOAT
                p.Message(5, attr);
            }

            foreach (var (name, value) in node.StringAttributes ?? [])
            {
                var attr = new Proto().String(1, name).String(4, value).Varint(20, 3); // type = STRING
                p.Message(5, attr);
            }

            graph.Message(1, p);
        }

        graph.String(2, "tiny");
        foreach (var v in inputs)
        {
            graph.Message(11, ValueInfoProto(v));
        }

        foreach (var v in outputs)
        {
            graph.Message(12, ValueInfoProto(v));
        }

        var model = new Proto()
            .Varint(1, 8) // ir_version
            .String(2, "gpt4roi-tests") // producer_name
            .Message(7, graph)
            .Message(8, new Proto().String(1, string.Empty).Varint(2, opset));
        return model.ToArray();
    }

    private static Proto ValueInfoProto(ValueInfo v)
    {
        var shape = new Proto();
        foreach (var d in v.Dims)
        {
            var dim = long.TryParse(d, out var value) ? new Proto().Varint(1, value) : new Proto().String(2, d);
            shape.Message(1, dim);
        }

        var tensorType = new Proto().Varint(1, v.ElemType).Message(2, shape);
        var type = new Proto().Message(1, tensorType);
        return new Proto().String(1, v.Name).Message(2, type);
    }

    private sealed class Proto
    {
        private readonly List<byte> _buffer = [];

        public Proto Varint(int field, long value)
        {
            Tag(field, 0);
            WriteVarint((ulong)value);
            return this;
        }

        public Proto Fixed32(int field, float value)
        {
            Tag(field, 5);
            var bits = BitConverter.SingleToUInt32Bits(value);
            for (var i = 0; i < 4; i++)
            {
                _buffer.Add((byte)(bits >> (8 * i)));
            }

            return this;
        }

        public Proto String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public Proto Message(int field, Proto message) => Bytes(field, message.ToArray());

        public byte[] ToArray() => _buffer.ToArray();

        private Proto Bytes(int field, byte[] bytes)
        {
            Tag(field, 2);
            WriteVarint((ulong)bytes.Length);
            _buffer.AddRange(bytes);
            return this;
        }

        private void Tag(int field, int wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);

        private void WriteVarint(ulong value)
        {
            while (value >= 0x80)
            {
                _buffer.Add((byte)(value | 0x80));
                value >>= 7;
            }

            _buffer.Add((byte)value);
        }
    }
}
