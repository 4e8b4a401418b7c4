namespace GPT4RoI.Core.Inference;

/// <summary>
/// Greedy, or sampling with a seeded generator in transformers' order (as models/gpt4roi_ref/inference.py): logits /
/// temperature, then top-k (keep the logits at least the k-th largest, ties kept), softmax, then top-p (keep the most
/// likely tokens until the mass before a token reaches top_p; always at least one), then draw from what is kept. One per
/// request; its buffers are sized once for the vocabulary, so choosing a token allocates nothing. With a seed, the same
/// logits give the same tokens on every run.
/// </summary>
internal sealed class TokenSampler
{
    private readonly float _temperature;
    private readonly float _topP;
    private readonly int _topK;
    private readonly Random _random;
    private readonly float[] _probs;
    private readonly float[] _scratch;
    private readonly int[] _order;
    private readonly Comparison<int> _byProbabilityDescending;
    private int _kept;
    private double _keptMass;

    public TokenSampler(GenerationOptions options, int vocab)
    {
        _temperature = options.Temperature;
        _topP = options.TopP;
        _topK = options.TopK;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        var sampling = _temperature > 0;
        _probs = sampling ? new float[vocab] : [];
        _order = sampling ? new int[vocab] : [];
        _scratch = sampling && _topK > 0 && _topK < vocab ? new float[vocab] : [];
        // One delegate for the sampler's life: Span.Sort with it allocates nothing (Array.Sort with an IComparer
        // wraps the comparer in a new delegate on every call).
        _byProbabilityDescending = (a, b) =>
        {
            var c = _probs[b].CompareTo(_probs[a]);
            return c != 0 ? c : a.CompareTo(b);
        };
    }

    /// <summary>The tokens the last sampled <see cref="Next"/> could choose, most likely first (tests).</summary>
    internal ReadOnlySpan<int> KeptTokens => _order.AsSpan(0, _kept);

    /// <summary>The probability the last sampled <see cref="Next"/> gave <paramref name="token"/> among the kept tokens (tests).</summary>
    internal double KeptProbability(int token) => _order.AsSpan(0, _kept).Contains(token) ? _probs[token] / _keptMass : 0;

    public int Next(ReadOnlySpan<float> logits)
    {
        if (_temperature <= 0)
        {
            return ArgMax(logits);
        }

        var n = logits.Length;
        var candidates = 0;
        var max = float.NegativeInfinity;
        if (_topK > 0 && _topK < n)
        {
            // The k-th largest scaled logit (selection in a scratch copy, O(vocab)); keep every logit at least that.
            var scaled = _scratch.AsSpan(0, n);
            for (var i = 0; i < n; i++)
            {
                scaled[i] = logits[i] / _temperature;
            }

            var kth = SelectDescending(scaled, _topK - 1);
            for (var i = 0; i < n; i++)
            {
                var s = logits[i] / _temperature;
                if (s >= kth)
                {
                    _probs[i] = s;
                    _order[candidates++] = i;
                    max = Math.Max(max, s);
                }
            }
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                var s = logits[i] / _temperature;
                _probs[i] = s;
                _order[i] = i;
                max = Math.Max(max, s);
            }

            candidates = n;
        }

        var sum = 0.0;
        for (var j = 0; j < candidates; j++)
        {
            var i = _order[j];
            var p = MathF.Exp(_probs[i] - max);
            _probs[i] = p;
            sum += p;
        }

        _order.AsSpan(0, candidates).Sort(_byProbabilityDescending);
        // Keep the smallest prefix whose mass reaches top_p (always at least one token).
        var keep = 0;
        var mass = 0.0;
        while (keep < candidates && (keep == 0 || mass < _topP * sum))
        {
            mass += _probs[_order[keep]];
            keep++;
        }

        _kept = keep;
        _keptMass = mass;
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

    /// <summary>
    /// The value that would be at <paramref name="rank"/> (0 = largest) if <paramref name="values"/> were sorted in
    /// descending order; reorders <paramref name="values"/> (quickselect with a median-of-three pivot, in place). NaN
    /// counts as smaller than every number.
    /// </summary>
    internal static float SelectDescending(Span<float> values, int rank)
    {
        var lo = 0;
        var hi = values.Length - 1;
        while (hi > lo)
        {
            var mid = lo + ((hi - lo) / 2);
            // Median of three to values[mid], then Hoare partition around it (descending).
            if (Greater(values[mid], values[lo]))
            {
                (values[mid], values[lo]) = (values[lo], values[mid]);
            }

            if (Greater(values[hi], values[lo]))
            {
                (values[hi], values[lo]) = (values[lo], values[hi]);
            }

            if (Greater(values[hi], values[mid]))
            {
                (values[hi], values[mid]) = (values[mid], values[hi]);
            }

            var pivot = values[mid];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (Greater(values[i], pivot))
                {
                    i++;
                }

                while (Greater(pivot, values[j]))
                {
                    j--;
                }

                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }

            if (rank <= j)
            {
                hi = j;
            }
            else if (rank >= i)
            {
                lo = i;
            }
            else
            {
                return values[rank];
            }
        }

        return values[rank];
    }

    // a before b in descending order; NaN last.
    private static bool Greater(float a, float b) => a > b || (!float.IsNaN(a) && float.IsNaN(b));
}
