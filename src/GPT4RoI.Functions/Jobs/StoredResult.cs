namespace GPT4RoI.Functions.Jobs;

/// <summary>A blob found where a job's result goes: its bytes and the content hash its metadata records (null when it
/// carries none, as a blob not written by this app).</summary>
internal sealed record StoredResult(byte[] Content, string? ContentHash)
{
    /// <summary>True when the bytes are exactly those the app wrote: the recorded hash matches them.</summary>
    public bool IsIntact => ContentHash is not null
        && string.Equals(ContentHash, ResultNames.Sha256(Content), StringComparison.OrdinalIgnoreCase);
}
