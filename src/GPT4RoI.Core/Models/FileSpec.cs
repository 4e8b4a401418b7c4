namespace GPT4RoI.Core.Models;

/// <summary>The expected size and hash of one file of a model folder (an entry of manifest <c>files</c>).</summary>
public sealed record FileSpec
{
    /// <summary>Exact file size in bytes; always checked when the folder is opened (JSON <c>bytes</c>).</summary>
    public required long Bytes { get; init; }

    /// <summary>SHA-256 of the file, hex (compared case-insensitively); checked under
    /// <see cref="FileVerification.Full"/> (JSON <c>sha256</c>).</summary>
    public required string Sha256 { get; init; }
}
