using System.Text.Json;
using GPT4RoI.Core.Contracts;

namespace GPT4RoI.Functions.Jobs;

/// <summary>What the queue carries: blob references, never image bytes.</summary>
public sealed record JobMessage
{
    /// <summary>Manifest blob name in the inbox container.</summary>
    public required string Manifest { get; init; }
    /// <summary>SHA-256 of the manifest bytes the intake validated (part of the result name).</summary>
    public required string ManifestSha256 { get; init; }
    /// <summary>Image blob name in the inbox container.</summary>
    public required string Image { get; init; }
    /// <summary>When the intake accepted the manifest; the image is waited for until this + ImageWait.</summary>
    public required DateTimeOffset AcceptedUtc { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, ContractJson.Compact);

    /// <exception cref="JsonException">Not a job message.</exception>
    public static JobMessage Parse(string json) =>
        JsonSerializer.Deserialize<JobMessage>(json, ContractJson.Compact) is { } m
            && !string.IsNullOrEmpty(m.Manifest) && !string.IsNullOrEmpty(m.Image) && !string.IsNullOrEmpty(m.ManifestSha256)
            ? m
            : throw new JsonException("not a job message: manifest, manifest_sha256 and image are required");
}
