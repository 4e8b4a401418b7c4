using System.Globalization;
using System.Text.Json;
using GPT4RoI.Core.Inference;
using GPT4RoI.TestSupport;
using Xunit.Abstractions;

namespace GPT4RoI.Core.Tests.Inference;

/// <summary>
/// The sampler against the reference's <c>inference.sampling_distribution</c> (temperature, top-k, top-p; goldens in
/// models/goldens/engine_rules/sampling.json from <c>python3 -m gpt4roi_ref.golden_engine_rules</c>): the same tokens
/// are kept with the same probabilities. Draws themselves use .NET's seeded <see cref="Random"/> (torch's generator is
/// not reproduced), so they are checked for repeatability and against the distribution.
/// </summary>
public sealed class TokenSamplerTests(ITestOutputHelper output)
{
    private static string GoldenPath => Path.Combine(RepoPaths.Root, "models", "goldens", "engine_rules", "sampling.json");

    public static TheoryData<string> Cases() => Goldens.CaseNames(GoldenPath);

    private static (GenerationOptions Options, float[] Logits, int[] Kept, double[] Probs) Case(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(GoldenPath));
        var c = doc.RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var options = new GenerationOptions
        {
            Temperature = c.GetProperty("temperature").GetSingle(),
            TopK = c.GetProperty("top_k").GetInt32(),
            TopP = c.GetProperty("top_p").GetSingle(),
            Seed = 1,
        };
        return (options,
            [.. c.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle())],
            [.. c.GetProperty("kept").EnumerateArray().Select(e => e.GetInt32())],
            [.. c.GetProperty("probs").EnumerateArray().Select(e => e.GetDouble())]);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Next_ReferenceLogits_KeepsTheReferenceTokensWithItsProbabilities(string name)
    {
        var (options, logits, kept, probs) = Case(name);
        var sampler = new TokenSampler(options, logits.Length);

        var token = sampler.Next(logits);

        Assert.Contains(token, kept);
        // The same tokens, up to a negligible tail: the reference's top-p test runs on a float32 cumulative sum, which
        // can reach top_p = 1 before the last tokens of the k (their probabilities are below float32's resolution at 1),
        // and so drops them; this sampler sums in double and keeps them. Tokens kept by one side only must together
        // weigh less than 1e-6 (and float32 exp underflow makes which of them count as nonzero implementation-defined).
        var ours = sampler.KeptTokens.ToArray();
        var onlyOurs = ours.Except(kept).Sum(sampler.KeptProbability);
        var onlyTheirs = kept.Select((t, i) => (t, p: probs[i])).Where(x => !ours.Contains(x.t)).Sum(x => x.p);
        Assert.True(onlyOurs < 1e-6 && onlyTheirs < 1e-6, $"mass kept by the sampler only {onlyOurs}, by the reference only {onlyTheirs}");
        Assert.Equal(kept.Where((t, i) => probs[i] > 1e-6).Order(), ours.Where(t => sampler.KeptProbability(t) > 1e-6).Order());
        var maxErr = 0.0;
        for (var i = 0; i < kept.Length; i++)
        {
            maxErr = Math.Max(maxErr, Math.Abs(sampler.KeptProbability(kept[i]) - probs[i]));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {kept.Length} kept by the reference, {ours.Length} here, max probability difference {maxErr:E2}, mass kept here only {onlyOurs:E2}"));
        Assert.True(maxErr <= 1e-6, $"{maxErr}");
    }

    [Fact]
    public void Next_SameSeed_SameTokens()
    {
        var (options, logits, _, _) = Case("top_p_only");
        var a = new TokenSampler(options with { Seed = 42 }, logits.Length);
        var b = new TokenSampler(options with { Seed = 42 }, logits.Length);
        var c = new TokenSampler(options with { Seed = 43 }, logits.Length);
        var first = Enumerable.Range(0, 200).Select(_ => a.Next(logits)).ToArray();
        var second = Enumerable.Range(0, 200).Select(_ => b.Next(logits)).ToArray();
        var third = Enumerable.Range(0, 200).Select(_ => c.Next(logits)).ToArray();
        Assert.Equal(first, second);
        Assert.NotEqual(first, third);
    }

    [Fact]
    public void Next_ManyDraws_FollowTheReferenceDistribution()
    {
        var (options, logits, kept, probs) = Case("top_k_and_top_p");
        var sampler = new TokenSampler(options with { Seed = 7 }, logits.Length);
        const int draws = 20000;
        var counts = new Dictionary<int, int>();
        for (var i = 0; i < draws; i++)
        {
            var t = sampler.Next(logits);
            counts[t] = counts.GetValueOrDefault(t) + 1;
        }

        Assert.All(counts.Keys, t => Assert.Contains(t, kept));
        for (var i = 0; i < kept.Length; i++)
        {
            var frequency = counts.GetValueOrDefault(kept[i]) / (double)draws;
            Assert.True(Math.Abs(frequency - probs[i]) < 0.02, $"token {kept[i]}: {frequency} vs {probs[i]}");
        }
    }

    [Fact]
    public void Next_TopKOne_IsGreedy()
    {
        // models/tests/test_fidelity.py test_topk_one_isGreedy: temperature 5, top-k 1 gives the greedy tokens.
        var (_, logits, _, _) = Case("plain");
        var sampler = new TokenSampler(new GenerationOptions { Temperature = 5f, TopK = 1, Seed = 3 }, logits.Length);
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(TokenSampler.ArgMax(logits), sampler.Next(logits));
        }
    }

    [Fact]
    public void Next_TopKOnA32kVocabulary_AllocatesNothingPerToken()
    {
        var random = new Random(5);
        var logits = new float[32006];
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = (float)(random.NextDouble() * 20);
        }

        var sampler = new TokenSampler(new GenerationOptions { Temperature = 0.2f, TopK = 50, TopP = 1f, Seed = 1 }, logits.Length);
        sampler.Next(logits);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            sampler.Next(logits);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(50, sampler.KeptTokens.Length);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(50)]
    [InlineData(999)]
    public void SelectDescending_RandomValues_EqualsSortedRank(int rank)
    {
        var random = new Random(rank);
        var values = Enumerable.Range(0, 1000).Select(_ => (float)Math.Round(random.NextDouble() * 50)).ToArray();
        var expected = values.OrderDescending().ElementAt(rank);
        Assert.Equal(expected, TokenSampler.SelectDescending(values.ToArray(), rank));
    }
}
