namespace GPT4RoI.Core.Contracts;

public sealed record BoxTask
{
    public string? Id { get; init; }
    /// <summary>Shorthand for a one-turn task.</summary>
    public string? Question { get; init; }
    public List<double[]?>? Regions { get; init; }
    public List<BoxTurn>? Turns { get; init; }

    public IReadOnlyList<BoxTurn> AllTurns() =>
        Turns is { Count: > 0 } ? Turns : Question is null ? [] : [new BoxTurn { Question = Question, Regions = Regions }];
}
