using System.Text.Json;
using System.Text.Json.Serialization;

namespace GPT4RoI.Core.Errors;

/// <summary>Writes and reads <see cref="ErrorCode"/> as snake_case strings (<c>invalid_image</c>), never as numbers.</summary>
public sealed class ErrorCodeJsonConverter() : JsonStringEnumConverter<ErrorCode>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
{
    /// <summary>The wire name of a code, as the JSON converter writes it.</summary>
    public static string WireName(ErrorCode code) => JsonNamingPolicy.SnakeCaseLower.ConvertName(code.ToString());
}
