namespace GPT4RoI.Core.Contracts;

/// <summary>How full the image feature cache is (JSON <c>entries</c>, <c>bytes</c>).</summary>
/// <param name="Entries">Images whose features are cached.</param>
/// <param name="Bytes">Bytes those features take.</param>
public sealed record CacheInfo(int Entries, long Bytes);
