using GPT4RoI.Functions.Services;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace GPT4RoI.Functions.Functions;

/// <summary>Multi-turn sessions over HTTP: thin over <see cref="ISessionService"/>, with the durable client the
/// binding passes.</summary>
public sealed class SessionFunctions(ISessionService sessions)
{
    [Function("CreateSession")]
    public Task<IActionResult> CreateAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "sessions")] HttpRequest request,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        sessions.CreateAsync(request, client, cancellationToken);

    [Function("SubmitTurn")]
    public Task<IActionResult> SubmitTurnAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "sessions/{id}/turns")] HttpRequest request,
        [DurableClient] DurableTaskClient client, string id, CancellationToken cancellationToken) =>
        sessions.SubmitTurnAsync(request, client, id, cancellationToken);

    [Function("GetSession")]
    public Task<IActionResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "sessions/{id}")] HttpRequest request,
        [DurableClient] DurableTaskClient client, string id, CancellationToken cancellationToken) =>
        sessions.GetAsync(request, client, id, cancellationToken);

    [Function("DeleteSession")]
    public Task<IActionResult> DeleteAsync(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "sessions/{id}")] HttpRequest request,
        [DurableClient] DurableTaskClient client, string id, CancellationToken cancellationToken) =>
        sessions.DeleteAsync(request, client, id, cancellationToken);
}

/// <summary>The session orchestration and its activities: thin over <see cref="SessionOrchestrator"/> and
/// <see cref="SessionStore"/>.</summary>
public sealed class SessionDurableFunctions(SessionStore store)
{
    [Function(SessionNames.Orchestrator)]
    public static Task<string> RunOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return SessionOrchestrator.RunAsync(context, context.GetInput<SessionOrchestratorInput>()
            ?? throw new InvalidOperationException("the session orchestration needs its input"));
    }

    [Function(SessionNames.AnswerTurnActivity)]
    public Task<TurnSummary> AnswerTurnAsync([ActivityTrigger] AnswerTurnInput input, CancellationToken cancellationToken) =>
        store.AnswerTurnAsync(input, cancellationToken);

    [Function(SessionNames.ExpireActivity)]
    public Task<string> ExpireAsync([ActivityTrigger] string sessionId, CancellationToken cancellationToken) =>
        store.ExpireAsync(sessionId, cancellationToken);
}
