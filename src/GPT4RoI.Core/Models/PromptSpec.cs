namespace GPT4RoI.Core.Models;

public sealed record PromptSpec
{
    public required string Template { get; init; }
    public required string System { get; init; }
    public required string SystemSuffix { get; init; }
    public required string ImageIntro { get; init; }
    public required string ImagePlaceholder { get; init; }
    public required ImageTokensSpec ImageTokens { get; init; }
    public required string HumanPrefix { get; init; }
    public required string AssistantPrefix { get; init; }
    public required string TurnSuffix { get; init; }
    public required string GenerationPrefix { get; init; }
    public required string RegionToken { get; init; }
    public required string RegionFirstMention { get; init; }
    public required string RegionLaterMention { get; init; }
    public required string[] StopStrings { get; init; }
    public required string[] StripFromAnswer { get; init; }
    public QuestionRulesSpec? QuestionRules { get; init; }
}
