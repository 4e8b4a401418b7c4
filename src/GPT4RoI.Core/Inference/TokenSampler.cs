namespace GPT4RoI.Core.Inference;

/// <summary>Greedy, or temperature + nucleus (top-p) sampling with a seeded generator. One per request;
/// its buffers are sized once for the vocabulary, so choosing a token allocates nothing.</summary>
internal sealed class TokenSampler
{
    private readonly float _temperature;
    private readonly float _topP;
    private readonly Random _random;
    private readonly float[] _probs;
    private readonly int[] _order;
    private readonly Comparer<int> _byProbabilityDescending;

    public TokenSampler(GenerationOptions options, int vocab)
    {
        _temperature = options.Temperature;
        _topP = options.TopP;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        _probs = _temperature > 0 ? new float[vocab] : [];
        _order = _temperature > 0 ? new int[vocab] : [];
        _byProbabilityDescending = Comparer<int>.Create((a, b) => _probs[b].CompareTo(_probs[a]));
    }

    public int Next(ReadOnlySpan<float> logits)
    {
        if (_temperature <= 0)
        {
            return ArgMax(logits);
        }

        var max = float.NegativeInfinity;
        foreach (var v in logits)
        {
            max = Math.Max(max, v);
        }

        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            var p = MathF.Exp((logits[i] - max) / _temperature);
            _probs[i] = p;
            _order[i] = i;
            sum += p;
        }

        Array.Sort(_order, 0, logits.Length, _byProbabilityDescending);
        // Keep the smallest prefix whose mass reaches top_p (always at least one token).
        var keep = 0;
        var mass = 0.0;
        while (keep < logits.Length && (keep == 0 || mass < _topP * sum))
        {
            mass += _probs[_order[keep]];
            keep++;
        }

        var target = _random.NextDouble() * mass;
        var acc = 0.0;
        for (var i = 0; i < keep; i++)
        {
            acc += _probs[_order[i]];
            if (acc >= target)
            {
                return _order[i];
            }
        }

        return _order[keep - 1];
    }

    internal static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        var bestValue = float.NegativeInfinity;
        for (var i = 0; i < logits.Length; i++)
        {
            if (logits[i] > bestValue)
            {
                bestValue = logits[i];
                best = i;
            }
        }

        return best;
    }
}
