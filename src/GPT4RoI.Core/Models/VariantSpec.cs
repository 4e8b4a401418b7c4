using System.Text.Json;
using System.Text.Json.Serialization;

namespace GPT4RoI.Core.Models;

public sealed record VariantSpec
{
    public required Dictionary<string, string> Graphs { get; init; }
    public required string Dtype { get; init; }
    /// <summary>How the weights are stored when not plain floats (e.g. the int4 MatMulNBits decoder).</summary>
    public string? Weights { get; init; }
}
