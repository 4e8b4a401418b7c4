namespace GPT4RoI.Core.Contracts;

/// <summary>An error JSON: written where a manifest's result would have been, when the manifest or its image cannot
/// be processed.</summary>
public sealed record JobError
{
    /// <summary>The manifest's <c>request_id</c>, when it could be read.</summary>
    public string? RequestId { get; init; }

    /// <summary>The manifest (file path or blob name).</summary>
    public required string Manifest { get; init; }

    /// <summary>What went wrong.</summary>
    public required ErrorInfo Error { get; init; }

    /// <summary>When the error was written.</summary>
    public required DateTimeOffset CreatedUtc { get; init; }
}
