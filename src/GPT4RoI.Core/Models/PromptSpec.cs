namespace GPT4RoI.Core.Models;

/// <summary>The prompt strings of a model (manifest <c>prompt</c>); <see cref="Text.PromptTemplate"/> is built from it.
/// Examples are GPT4RoI's <c>conv_v1_2</c> values.</summary>
public sealed record PromptSpec
{
    /// <summary>Name of the conversation template, e.g. <c>conv_v1_2</c>; informational (JSON <c>template</c>).</summary>
    public required string Template { get; init; }

    /// <summary>System prompt at the start of every prompt (JSON <c>system</c>).</summary>
    public required string System { get; init; }

    /// <summary>Text between the system prompt and the first turn, e.g. <c>"\n\n"</c> (JSON <c>system_suffix</c>).</summary>
    public required string SystemSuffix { get; init; }

    /// <summary>Put before the first question; its <see cref="ImagePlaceholder"/> becomes the image tokens
    /// (JSON <c>image_intro</c>).</summary>
    public required string ImageIntro { get; init; }

    /// <summary>The placeholder in <see cref="ImageIntro"/>, e.g. <c>&lt;image&gt;</c>; users may not type it
    /// (JSON <c>image_placeholder</c>).</summary>
    public required string ImagePlaceholder { get; init; }

    /// <summary>The added tokens that replace <see cref="ImagePlaceholder"/> (JSON <c>image_tokens</c>).</summary>
    public required ImageTokensSpec ImageTokens { get; init; }

    /// <summary>Before each question, e.g. <c>"### Human: "</c> (JSON <c>human_prefix</c>).</summary>
    public required string HumanPrefix { get; init; }

    /// <summary>Before each recorded answer, e.g. <c>"### Assistant: "</c> (JSON <c>assistant_prefix</c>).</summary>
    public required string AssistantPrefix { get; init; }

    /// <summary>After each question and each answer, e.g. <c>"\n"</c> (JSON <c>turn_suffix</c>).</summary>
    public required string TurnSuffix { get; init; }

    /// <summary>End of the prompt, from which the model generates, e.g. <c>"### "</c> (JSON <c>generation_prefix</c>).</summary>
    public required string GenerationPrefix { get; init; }

    /// <summary>Added token whose embedding is replaced by a region embedding, e.g. <c>&lt;bbox&gt;</c>
    /// (JSON <c>region_token</c>).</summary>
    public required string RegionToken { get; init; }

    /// <summary>What the first mention of <c>&lt;regionN&gt;</c> becomes; <c>{n}</c> is the number and it must contain
    /// <see cref="RegionToken"/>, e.g. <c>region{n} &lt;bbox&gt;</c> (JSON <c>region_first_mention</c>).</summary>
    public required string RegionFirstMention { get; init; }

    /// <summary>What a later mention of <c>&lt;regionN&gt;</c> becomes, e.g. <c>region{n}</c>
    /// (JSON <c>region_later_mention</c>).</summary>
    public required string RegionLaterMention { get; init; }

    /// <summary>Generation stops when the answer contains one of these, e.g. <c>###</c>; at least one; users may not
    /// type them (JSON <c>stop_strings</c>).</summary>
    public required string[] StopStrings { get; init; }

    /// <summary>Removed from a generated answer, in order, e.g. <c>"Assistant: "</c> (JSON <c>strip_from_answer</c>).</summary>
    public required string[] StripFromAnswer { get; init; }

    /// <summary>The official demo's question handling, when the model wants it (JSON <c>question_rules</c>); absent for
    /// the tiny model.</summary>
    public QuestionRulesSpec? QuestionRules { get; init; }
}
