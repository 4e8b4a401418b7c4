namespace GPT4RoI.Core.Contracts;

/// <summary>One task of a box manifest: a conversation about the image, given either as <see cref="Question"/> +
/// <see cref="Regions"/> (one turn) or as <see cref="Turns"/>.</summary>
public sealed record BoxTask
{
    /// <summary>Caller's id, unique within the manifest, echoed in the task's result (JSON <c>id</c>).</summary>
    public string? Id { get; init; }
    /// <summary>Shorthand for a one-turn task.</summary>
    public string? Question { get; init; }
    /// <summary>The boxes of the one-turn form, <c>[x1, y1, x2, y2]</c> in pixels of the EXIF-oriented image, numbered
    /// <c>&lt;region1&gt;</c>… in order (JSON <c>regions</c>).</summary>
    public List<double[]?>? Regions { get; init; }
    /// <summary>The turns of a multi-turn task, 1 to <see cref="BoxManifest.MaxTurnsPerTask"/>; not together with
    /// <see cref="Question"/> (JSON <c>turns</c>).</summary>
    public List<BoxTurn>? Turns { get; init; }

    /// <summary>The task's turns in order: <see cref="Turns"/> when given, else the one turn made of <see cref="Question"/>
    /// and <see cref="Regions"/>, else none.</summary>
    public IReadOnlyList<BoxTurn> AllTurns() =>
        Turns is { Count: > 0 } ? Turns : Question is null ? [] : [new BoxTurn { Question = Question, Regions = Regions }];
}
