using System.Globalization;

namespace GPT4RoI.ModelTools;

/// <summary>Comparison of one graph output against its reference tensor.</summary>
public sealed record ParityResult(string Graph, string OutputName, long[] Shape, long[]? ExpectedShape, double MaxAbsError, double Tolerance)
{
    /// <summary>True when the shapes agree and the max abs error is within tolerance (NaN fails).</summary>
    public bool Passed => ExpectedShape is null && MaxAbsError <= Tolerance;

    /// <summary>The report line, e.g. <c>vision image_embeds shape=[1,256,4096] max_abs_err=1.234E-005 tol=1.0E-004 OK</c>.</summary>
    public string Format()
    {
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{Graph} {OutputName} shape=[{string.Join(",", Shape)}] max_abs_err={MaxAbsError:E3} tol={Tolerance:E1} {(Passed ? "OK" : "FAIL")}");
        return ExpectedShape is null
            ? line
            : line + " (expected shape [" + string.Join(",", ExpectedShape) + "])";
    }
}
