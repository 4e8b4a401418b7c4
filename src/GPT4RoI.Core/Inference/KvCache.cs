using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace GPT4RoI.Core.Inference;

/// <summary>
/// The decoder's fixed-capacity key/value cache: for every layer one key and one value buffer of shape
/// [slots, heads, capacity, head_dim], allocated once in native memory and zeroed. A slot holds one sequence; the
/// token at position p lives in row p of its slot. Because the slot is the outermost dimension, any run of slots is
/// one contiguous block, so the views the decoder is bound to (one slot for a prefill, the first k slots for a batched
/// step) are plain pointers into the buffers: ONNX Runtime reads and writes the cache in place and no step copies it.
/// </summary>
internal sealed unsafe class KvCache : IDisposable
{
    private readonly void*[] _buffers;
    private readonly long _slotBytes;
    private readonly List<OrtValue> _views = [];

    public KvCache(int layers, int slots, int heads, int capacity, int headDim, TensorElementType elementType)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        Layers = layers;
        Slots = slots;
        Heads = heads;
        Capacity = capacity;
        HeadDim = headDim;
        ElementType = elementType;
        _slotBytes = (long)heads * capacity * headDim * (elementType == TensorElementType.Float16 ? 2 : 4);
        _buffers = new void*[2 * layers];
        try
        {
            for (var i = 0; i < _buffers.Length; i++)
            {
                var bytes = (nuint)(_slotBytes * slots);
                _buffers[i] = NativeMemory.AlignedAlloc(bytes, 64);
                // Zeros: rows never written are never attended to, but must stay finite (0 × NaN would poison a sum).
                NativeMemory.Clear(_buffers[i], bytes);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Layers { get; }

    public int Slots { get; }

    public int Heads { get; }

    /// <summary>Positions per slot, the last of which is the scratch row idle batch rows write to.</summary>
    public int Capacity { get; }

    public int HeadDim { get; }

    public TensorElementType ElementType { get; }

    /// <summary>Bytes of one slot across every layer's keys and values.</summary>
    public long BytesPerSlot => _slotBytes * _buffers.Length;

    /// <summary>Tensors over slots [<paramref name="firstSlot"/>, +<paramref name="count"/>) of every buffer, in the
    /// decoder's order (key 0, value 0, key 1, …). The cache owns them; they live until it is disposed.</summary>
    public OrtValue[] CreateViews(int firstSlot, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstSlot);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstSlot + count, Slots);
        var views = new OrtValue[_buffers.Length];
        for (var i = 0; i < views.Length; i++)
        {
            var start = (byte*)_buffers[i] + (firstSlot * _slotBytes);
            views[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, ElementType,
                [count, Heads, Capacity, HeadDim], (IntPtr)start, count * _slotBytes);
            _views.Add(views[i]);
        }

        return views;
    }

    public void Dispose()
    {
        foreach (var view in _views)
        {
            view.Dispose();
        }

        _views.Clear();
        for (var i = 0; i < _buffers.Length; i++)
        {
            if (_buffers[i] is not null)
            {
                NativeMemory.AlignedFree(_buffers[i]);
                _buffers[i] = null;
            }
        }
    }
}
