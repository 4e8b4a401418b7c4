using GPT4RoI.Functions.Sessions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace GPT4RoI.Functions.Functions;

/// <summary>The session orchestration and its activities: thin over <see cref="SessionOrchestrator"/> and
/// <see cref="SessionStore"/>.</summary>
public sealed class SessionDurableFunctions(SessionStore store)
{
    /// <summary>The orchestration of one session (instance id = session id).</summary>
    [Function(SessionNames.Orchestrator)]
    public static Task<string> RunOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return SessionOrchestrator.RunAsync(context, context.GetInput<SessionOrchestratorInput>()
            ?? throw new InvalidOperationException("the session orchestration needs its input"));
    }

    /// <summary>Answers one turn and records it in the transcript.</summary>
    [Function(SessionNames.AnswerTurnActivity)]
    public Task<TurnSummary> AnswerTurnAsync([ActivityTrigger] AnswerTurnInput input, CancellationToken cancellationToken) =>
        store.AnswerTurnAsync(input, cancellationToken);

    /// <summary>Expires an idle session: transcript kept, image deleted.</summary>
    [Function(SessionNames.ExpireActivity)]
    public Task<string> ExpireAsync([ActivityTrigger] string sessionId, CancellationToken cancellationToken) =>
        store.ExpireAsync(sessionId, cancellationToken);
}
