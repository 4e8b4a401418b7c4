using System.Globalization;

namespace GPT4RoI.Functions.Tests.Reliability;

/// <summary>Percentiles of a list of durations in milliseconds (nearest rank).</summary>
internal static class Stats
{
    public static double Percentile(IReadOnlyCollection<double> values, double q)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public static string Summary(IReadOnlyCollection<double> ms) => string.Create(CultureInfo.InvariantCulture,
        $"n={ms.Count} p50={Percentile(ms, 0.5):0} ms p95={Percentile(ms, 0.95):0} ms max={(ms.Count == 0 ? double.NaN : ms.Max()):0} ms");

    public static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0} MB");
}
