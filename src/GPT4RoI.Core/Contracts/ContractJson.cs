using System.Text.Json;
using System.Text.Json.Serialization;

namespace GPT4RoI.Core.Contracts;

/// <summary>
/// The JSON options of every request, result and error body (box manifests, job results, HTTP requests and
/// responses, session transcripts): snake_case names, nulls left out, unknown members and duplicate keys refused,
/// comments and trailing commas accepted in input.
/// </summary>
public static class ContractJson
{
    /// <summary>Indented output (result files, HTTP JSON bodies).</summary>
    public static JsonSerializerOptions Options { get; } = Create(indented: true);

    /// <summary>One-line output (server-sent events, queue messages).</summary>
    public static JsonSerializerOptions Compact { get; } = Create(indented: false);

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            // A repeated key is refused, never "last one wins": a body that says two things is not guessed at.
            AllowDuplicateProperties = false,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            WriteIndented = indented,
            // Results are files and API bodies, not HTML: keep '<region1>' readable.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
