using GPT4RoI.Core.Contracts;
using Microsoft.DurableTask.Client;

namespace GPT4RoI.Functions.Sessions;

/// <summary>The session operations behind the session endpoints, without HTTP: typed requests in, domain results out,
/// failures as <see cref="GPT4RoI.Core.Errors.Gpt4RoIException"/>. The durable client is the one the function binding passes.</summary>
public interface ISessionService
{
    /// <summary>Stores the image, starts the session's orchestration and, when the request has a question, submits it
    /// as the first turn and waits for its answer for a while.</summary>
    Task<SessionCreated> CreateAsync(QueryRequest request, byte[] image, DurableTaskClient client, CancellationToken ct);

    /// <summary>Creates the session as <see cref="CreateAsync"/> does and streams its first turn: <see cref="SessionStarted"/>,
    /// <see cref="TurnAccepted"/>, <see cref="TurnDelta"/>s, then <see cref="TurnRecorded"/> or <see cref="TurnPending"/>.
    /// A refused request throws before the first event.</summary>
    IAsyncEnumerable<SessionStreamEvent> CreateStreamingAsync(QueryRequest request, byte[] image, DurableTaskClient client, CancellationToken ct);

    /// <summary>Submits a turn to a running session and waits for its answer for a while.</summary>
    Task<TurnSubmitted> SubmitTurnAsync(string id, TurnRequest request, DurableTaskClient client, CancellationToken ct);

    /// <summary>Submits a turn as <see cref="SubmitTurnAsync"/> does and streams it: <see cref="TurnAccepted"/>,
    /// <see cref="TurnDelta"/>s, then <see cref="TurnRecorded"/> or <see cref="TurnPending"/>. A refused request throws
    /// before the first event.</summary>
    IAsyncEnumerable<SessionStreamEvent> StreamTurnAsync(string id, TurnRequest request, DurableTaskClient client, CancellationToken ct);

    /// <summary>Asks a turn's answer to stop where it is (the text so far is recorded as its answer, stop reason
    /// <c>Stopped</c>); returns the recorded turn when it was already answered, else null (stopping).</summary>
    Task<SessionTurn?> StopTurnAsync(string id, string turnId, CancellationToken ct);

    /// <summary>The transcript and the orchestration's state.</summary>
    Task<SessionView> GetAsync(string id, DurableTaskClient client, CancellationToken ct);

    /// <summary>The session's image, while it is kept (not after the session expired or was deleted).</summary>
    Task<SessionImage> GetImageAsync(string id, CancellationToken ct);

    /// <summary>Ends a session: tombstones the transcript, stops the orchestration, deletes the image.</summary>
    Task DeleteAsync(string id, DurableTaskClient client, CancellationToken ct);
}
