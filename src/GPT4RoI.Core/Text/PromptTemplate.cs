using GPT4RoI.Core.Models;

namespace GPT4RoI.Core.Text;

/// <summary>
/// The prompt strings of a model (the manifest's <c>"prompt"</c> section, template <c>conv_v1_2</c> for GPT4RoI) and the
/// tokens a user may never type. Built only from a manifest (<see cref="FromManifest"/>): no prompt string or special
/// token is spelled in code.
/// </summary>
public sealed record PromptTemplate
{
    /// <summary>System prompt (manifest <c>system</c>).</summary>
    public required string System { get; init; }

    /// <summary>Text after the system prompt (manifest <c>system_suffix</c>).</summary>
    public required string SystemSuffix { get; init; }

    /// <summary>Put before the first question; <see cref="ImagePlaceholder"/> is replaced by the image tokens (manifest <c>image_intro</c>).</summary>
    public required string ImageIntro { get; init; }

    /// <summary>Placeholder in <see cref="ImageIntro"/> (manifest <c>image_placeholder</c>); users may not type it.</summary>
    public required string ImagePlaceholder { get; init; }

    /// <summary>Added token before the image patches (manifest <c>image_tokens.start</c>).</summary>
    public required string ImageStartToken { get; init; }

    /// <summary>Added token repeated once per image patch (manifest <c>image_tokens.patch</c>).</summary>
    public required string ImagePatchToken { get; init; }

    /// <summary>Added token after the image patches (manifest <c>image_tokens.end</c>).</summary>
    public required string ImageEndToken { get; init; }

    /// <summary>Added token whose embedding is replaced by a region's embedding (manifest <c>region_token</c>).</summary>
    public required string RegionToken { get; init; }

    /// <summary>Before each question (manifest <c>human_prefix</c>).</summary>
    public required string HumanPrefix { get; init; }

    /// <summary>Before each answer (manifest <c>assistant_prefix</c>).</summary>
    public required string AssistantPrefix { get; init; }

    /// <summary>After each question and answer (manifest <c>turn_suffix</c>).</summary>
    public required string TurnSuffix { get; init; }

    /// <summary>End of the prompt; the model continues from here (manifest <c>generation_prefix</c>).</summary>
    public required string GenerationPrefix { get; init; }

    /// <summary>Generation stops when one of these appears; users may not type them (manifest <c>stop_strings</c>).</summary>
    public required IReadOnlyList<string> StopStrings { get; init; }

    /// <summary>Removed from a generated answer, in order, every occurrence (manifest <c>strip_from_answer</c>).</summary>
    public required IReadOnlyList<string> StripFromAnswer { get; init; }

    /// <summary>Expansion of the first mention of <c>&lt;regionN&gt;</c>; <c>{n}</c> is the region number (manifest
    /// <c>region_first_mention</c>).</summary>
    public required string RegionFirstMention { get; init; }

    /// <summary>Expansion of a later mention of <c>&lt;regionN&gt;</c>; <c>{n}</c> is the region number (manifest
    /// <c>region_later_mention</c>).</summary>
    public required string RegionLaterMention { get; init; }

    /// <summary>
    /// Strings a user may not type: every added token of the tokenizer that is not a special token (in id order), then the
    /// image placeholder.
    /// </summary>
    public required IReadOnlyList<string> ReservedTokens { get; init; }

    /// <summary>The official demo's question handling (manifest <c>prompt.question_rules</c>): strip, the empty-question
    /// text, the <c>&lt;N&gt;</c> and <c>&lt;&gt;</c> shorthands, a box in the first turn; null applies none of them.</summary>
    public QuestionRulesSpec? QuestionRules { get; init; }

    /// <summary>The template of a model manifest.</summary>
    public static PromptTemplate FromManifest(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var p = manifest.Prompt;
        return new PromptTemplate
        {
            System = p.System,
            SystemSuffix = p.SystemSuffix,
            ImageIntro = p.ImageIntro,
            ImagePlaceholder = p.ImagePlaceholder,
            ImageStartToken = p.ImageTokens.Start,
            ImagePatchToken = p.ImageTokens.Patch,
            ImageEndToken = p.ImageTokens.End,
            RegionToken = p.RegionToken,
            HumanPrefix = p.HumanPrefix,
            AssistantPrefix = p.AssistantPrefix,
            TurnSuffix = p.TurnSuffix,
            GenerationPrefix = p.GenerationPrefix,
            RegionFirstMention = p.RegionFirstMention,
            RegionLaterMention = p.RegionLaterMention,
            StopStrings = p.StopStrings,
            StripFromAnswer = p.StripFromAnswer,
            // Added tokens that are also special tokens (a checkpoint's [PAD]) are typed like <s> and </s>: the tokenizer
            // turns them into their ids, as the slow tokenizer does, so they are not refused.
            ReservedTokens =
            [
                .. manifest.Tokenizer.AddedTokens.OrderBy(t => t.Value).Select(t => t.Key)
                    .Where(t => manifest.Tokenizer.SpecialTokens is not { } special || !special.ContainsValue(t)),
                p.ImagePlaceholder,
            ],
            QuestionRules = p.QuestionRules,
        };
    }

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
