using System.Text.Json.Serialization;

namespace GPT4RoI.Core.Contracts;

/// <summary>What the health probe answers (<c>GET /api/health</c>, docs/api.md).</summary>
public sealed record HealthReport
{
    /// <summary>The status when the engine can serve.</summary>
    public const string Ok = "ok";

    /// <summary>The status when a model file changed under the running engine: every use fails until a restart.</summary>
    public const string ModelChanged = "model_changed";

    /// <summary><see cref="Ok"/> or <see cref="ModelChanged"/> (JSON <c>status</c>).</summary>
    public required string Status { get; init; }
    /// <summary>The manifest's model id (JSON <c>model</c>).</summary>
    public required string Model { get; init; }
    /// <summary>The variant the engine runs (JSON <c>variant</c>).</summary>
    public required string Variant { get; init; }
    /// <summary><c>CUDA</c> or <c>CPU</c> (JSON <c>execution_provider</c>).</summary>
    public required string ExecutionProvider { get; init; }
    /// <summary>The image feature cache (JSON <c>image_cache</c>).</summary>
    public required CacheInfo ImageCache { get; init; }
    /// <summary>What is wrong when <see cref="Status"/> is not <see cref="Ok"/> (JSON <c>detail</c>).</summary>
    public string? Detail { get; init; }

    /// <summary>The detector <c>POST /api/describe</c> and <c>detect</c> use; null when the instance has none (its
    /// folder is missing or its manifest is not valid).</summary>
    public DetectorSummary? Detector { get; init; }

    /// <summary>True when <see cref="Status"/> is <see cref="Ok"/>.</summary>
    [JsonIgnore]
    public bool IsHealthy => Status == Ok;
}
