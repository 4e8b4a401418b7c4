namespace GPT4RoI.Core.Inference;

/// <summary>LRU cache of <see cref="ImageFeatures"/> bounded in bytes; thread-safe.</summary>
public sealed class ImageFeatureCache
{
    private readonly long _capacity;
    private readonly Dictionary<string, LinkedListNode<ImageFeatures>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<ImageFeatures> _lru = new();
    private readonly Lock _gate = new();
    private long _bytes;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="capacityBytes">Most bytes of features kept (<see cref="ImageFeatures.SizeInBytes"/> summed); 0 keeps
    /// nothing.</param>
    public ImageFeatureCache(long capacityBytes) => _capacity = capacityBytes;

    /// <summary>Lookups that found their image since the cache was created.</summary>
    public long Hits { get; private set; }
    /// <summary>Lookups that did not find their image since the cache was created.</summary>
    public long Misses { get; private set; }
    /// <summary>Bytes of features held now.</summary>
    public long Bytes { get { lock (_gate) { return _bytes; } } }
    /// <summary>Images held now.</summary>
    public int Count { get { lock (_gate) { return _map.Count; } } }

    /// <summary>Looks up an image's features and, when found, marks them most recently used.</summary>
    /// <param name="key">The image's <see cref="ImageFeatures.ContentHash"/>.</param>
    /// <param name="features">The cached features, or null when absent.</param>
    /// <returns>True when the image was cached.</returns>
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

    /// <summary>Adds features as most recently used, evicting the least recently used until they fit. Features larger
    /// than the whole capacity, or an image already cached, are left out.</summary>
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
