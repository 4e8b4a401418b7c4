namespace GPT4RoI.Core.Models;

/// <summary>The manifest's <c>prompt.question_rules</c>: the official demo's question handling (docs/model-format.md).</summary>
public sealed record QuestionRulesSpec
{
    /// <summary>Strip whitespace around the question (JSON <c>strip</c>).</summary>
    public required bool Strip { get; init; }

    /// <summary>What an empty question becomes, e.g. <c>hello, world!</c> (JSON <c>empty_question</c>).</summary>
    public required string EmptyQuestion { get; init; }

    /// <summary>The shorthand for a region tag, e.g. <c>&lt;{n}&gt;</c> for <c>&lt;region{n}&gt;</c> (JSON <c>short_tag</c>).</summary>
    public required string ShortTag { get; init; }

    /// <summary>The tag of an unnamed new region, e.g. <c>&lt;&gt;</c> (JSON <c>anonymous_tag</c>).</summary>
    public required string AnonymousTag { get; init; }

    /// <summary>Whether the first turn must bring at least one box (JSON <c>first_turn_needs_region</c>).</summary>
    public required bool FirstTurnNeedsRegion { get; init; }
}
