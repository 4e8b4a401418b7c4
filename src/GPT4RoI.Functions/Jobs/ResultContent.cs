using System.Text.Json;
using GPT4RoI.Core.Contracts;

namespace GPT4RoI.Functions.Jobs;

/// <summary>Compares a stored result with the one a job just produced by what they say, leaving out what differs
/// between two runs of the same job (timings, <c>created_utc</c>).</summary>
internal static class ResultContent
{
    /// <summary>Null when <paramref name="stored"/> says the same as <paramref name="fresh"/>; else why not.</summary>
    public static string? Difference(ReadOnlySpan<byte> stored, JobResult fresh)
    {
        JobResult? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<JobResult>(stored, ContractJson.Options);
        }
        catch (JsonException ex)
        {
            return $"it is not a complete result JSON ({ex.Message})";
        }

        if (parsed is null)
        {
            return "it is not a result JSON";
        }

        return Canonical(parsed).AsSpan().SequenceEqual(Canonical(fresh)) ? null : "its answers differ from this run's";
    }

    private static byte[] Canonical(JobResult r) => JsonSerializer.SerializeToUtf8Bytes(r with
    {
        TimingsMs = [],
        CreatedUtc = default,
        Tasks = [.. r.Tasks.Select(t => t with { Turns = [.. t.Turns.Select(u => u with { PrefillMs = 0, DecodeMs = 0 })] })],
    }, ContractJson.Compact);
}
