namespace GPT4RoI.Core.Models;

/// <summary>The added tokens that stand for the image in the prompt (manifest <c>prompt.image_tokens</c>): start,
/// <see cref="Count"/> patch tokens, end.</summary>
public sealed record ImageTokensSpec
{
    /// <summary>Token before the patches, e.g. <c>&lt;im_start&gt;</c>; must be an added token (JSON <c>start</c>).</summary>
    public required string Start { get; init; }

    /// <summary>Token repeated once per patch, e.g. <c>&lt;im_patch&gt;</c>; the engine replaces each one's embedding with an
    /// image token (JSON <c>patch</c>).</summary>
    public required string Patch { get; init; }

    /// <summary>Token after the patches, e.g. <c>&lt;im_end&gt;</c>; must be an added token (JSON <c>end</c>).</summary>
    public required string End { get; init; }

    /// <summary>Number of patch tokens in the prompt (JSON <c>count</c>, 256 for GPT4RoI).</summary>
    public required int Count { get; init; }
}
