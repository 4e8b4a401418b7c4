namespace GPT4RoI.Core.Text;

/// <summary>
/// The prompt strings of the <c>conv_v1_2</c> template (the manifest's <c>"prompt"</c> section). <see cref="Default"/>
/// holds the values of models/gpt4roi_ref/config.py, so code and tests need no manifest; a manifest loader builds one
/// with <c>with</c> or an object initializer.
/// </summary>
public sealed record PromptTemplate
{
    /// <summary>The config.py values.</summary>
    public static PromptTemplate Default { get; } = new();

    /// <summary>System prompt (manifest <c>system</c>).</summary>
    public string System { get; init; } =
        "A chat between a curious human and an artificial intelligence assistant. " +
        "The assistant gives helpful, detailed, and polite answers to the human's questions.";

    /// <summary>Text after the system prompt (manifest <c>system_suffix</c>).</summary>
    public string SystemSuffix { get; init; } = "\n\n";

    /// <summary>Put before the first question; <see cref="ImagePlaceholder"/> is replaced by the image tokens (manifest <c>image_intro</c>).</summary>
    public string ImageIntro { get; init; } = "The <image> provides an overview of the picture.\n";

    /// <summary>Placeholder in <see cref="ImageIntro"/> (manifest <c>image_placeholder</c>); users may not type it.</summary>
    public string ImagePlaceholder { get; init; } = "<image>";

    /// <summary>Added token before the image patches.</summary>
    public string ImageStartToken { get; init; } = "<im_start>";

    /// <summary>Added token repeated once per image patch.</summary>
    public string ImagePatchToken { get; init; } = "<im_patch>";

    /// <summary>Added token after the image patches.</summary>
    public string ImageEndToken { get; init; } = "<im_end>";

    /// <summary>Added token whose embedding is replaced by a region's embedding.</summary>
    public string BboxToken { get; init; } = "<bbox>";

    /// <summary>Added token the demo reserves for points (never generated in prompts; users may not type it).</summary>
    public string PointToken { get; init; } = "<point>";

    /// <summary>Before each question (manifest <c>human_prefix</c>).</summary>
    public string HumanPrefix { get; init; } = "### Human: ";

    /// <summary>Before each answer (manifest <c>assistant_prefix</c>).</summary>
    public string AssistantPrefix { get; init; } = "### Assistant: ";

    /// <summary>After each question and answer (manifest <c>turn_suffix</c>).</summary>
    public string TurnSuffix { get; init; } = "\n";

    /// <summary>End of the prompt; the model continues from here (manifest <c>generation_prefix</c>).</summary>
    public string GenerationPrefix { get; init; } = "### ";

    /// <summary>Generation stops when one of these appears; users may not type them (manifest <c>stop_strings</c>).</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = ["###"];

    /// <summary>Removed from a generated answer, in order, every occurrence (manifest <c>strip_from_answer</c>).</summary>
    public IReadOnlyList<string> StripFromAnswer { get; init; } = ["Assistant: ", "Assistant:"];

    /// <summary>Expansion of the first mention of <c>&lt;regionN&gt;</c>; <c>{n}</c> is the region number.</summary>
    public string RegionFirstMention { get; init; } = "region{n} <bbox>";

    /// <summary>Expansion of a later mention of <c>&lt;regionN&gt;</c>; <c>{n}</c> is the region number.</summary>
    public string RegionLaterMention { get; init; } = "region{n}";

    /// <summary>
    /// Strings a user may not type, in prompt.py's order: the five added tokens, then the image placeholder.
    /// </summary>
    public IReadOnlyList<string> ReservedTokens =>
        [ImagePatchToken, ImageStartToken, ImageEndToken, BboxToken, PointToken, ImagePlaceholder];

    /// <summary>The image token run: start, <paramref name="numPatches"/> patch tokens, end.</summary>
    public string ImageTokens(int numPatches)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numPatches);
        var sb = new System.Text.StringBuilder(ImageStartToken.Length + (numPatches * ImagePatchToken.Length) + ImageEndToken.Length);
        sb.Append(ImageStartToken);
        for (var i = 0; i < numPatches; i++)
        {
            sb.Append(ImagePatchToken);
        }

        return sb.Append(ImageEndToken).ToString();
    }
}
