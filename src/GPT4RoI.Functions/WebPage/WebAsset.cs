using Microsoft.Net.Http.Headers;

namespace GPT4RoI.Functions.WebPage;

/// <summary>One served file.</summary>
internal sealed record WebAsset(byte[] Content, string ContentType, EntityTagHeaderValue ETag);
