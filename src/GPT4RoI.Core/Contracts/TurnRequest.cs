namespace GPT4RoI.Core.Contracts;

/// <summary>The body of <c>POST /api/sessions/{id}/turns</c>.</summary>
public sealed record TurnRequest
{
    /// <summary>The question; new boxes are named on from the session's earlier regions.</summary>
    public string? Question { get; init; }

    /// <summary>The boxes this turn introduces, numbered on from the session's earlier regions.</summary>
    public List<double[]?>? Regions { get; init; }

    /// <summary>Stream the answer's tokens as server-sent events (also when the client sends <c>Accept: text/event-stream</c>).</summary>
    public bool Stream { get; init; }
}
