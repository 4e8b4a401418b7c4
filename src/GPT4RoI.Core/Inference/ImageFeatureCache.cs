namespace GPT4RoI.Core.Inference;

/// <summary>LRU cache of <see cref="ImageFeatures"/> bounded in bytes; thread-safe.</summary>
public sealed class ImageFeatureCache
{
    private readonly long _capacity;
    private readonly Dictionary<string, LinkedListNode<ImageFeatures>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<ImageFeatures> _lru = new();
    private readonly Lock _gate = new();
    private long _bytes;

    public ImageFeatureCache(long capacityBytes) => _capacity = capacityBytes;

    public long Hits { get; private set; }
    public long Misses { get; private set; }
    public long Bytes { get { lock (_gate) { return _bytes; } } }
    public int Count { get { lock (_gate) { return _map.Count; } } }

    public bool TryGet(string key, out ImageFeatures? features)
    {
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                Hits++;
                features = node.Value;
                return true;
            }

            Misses++;
            features = null;
            return false;
        }
    }

    public void Add(ImageFeatures features)
    {
        var size = features.SizeInBytes;
        if (size > _capacity)
        {
            return;
        }

        lock (_gate)
        {
            if (_map.ContainsKey(features.ContentHash))
            {
                return;
            }

            while (_bytes + size > _capacity && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove(last.Value.ContentHash);
                _bytes -= last.Value.SizeInBytes;
            }

            _map[features.ContentHash] = _lru.AddFirst(features);
            _bytes += size;
        }
    }
}
