using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using Microsoft.DurableTask;

namespace GPT4RoI.Functions.Sessions;

/// <summary>
/// The session orchestration (instance id = session id). Deterministic, no I/O: it waits for "turn" events or the
/// idle timer, hands each turn to the AnswerTurn activity one at a time (external events queue, so turns run in
/// arrival order), and on idle expiry calls ExpireSession and completes. Images and transcripts stay in blobs;
/// the orchestration only carries ids, questions, boxes and small summaries.
/// </summary>
public static class SessionOrchestrator
{
    private static readonly TaskOptions ActivityRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(3, TimeSpan.FromSeconds(2)));

    public static async Task<string> RunAsync(TaskOrchestrationContext context, SessionOrchestratorInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var turns = input.TurnCount;
        var lastTurn = input.LastTurnId;
        string? lastError = null;
        context.SetCustomStatus(new SessionCustomStatus(SessionStates.Active, turns, lastTurn, null));
        for (var handled = 0; ; handled++)
        {
            // A "turn" event that already arrived is buffered: the waiter completes at once.
            var turnTask = context.WaitForExternalEvent<TurnEvent>(SessionNames.TurnEvent);
            if (handled >= input.TurnsPerHistory && !turnTask.IsCompleted)
            {
                // Bound the history: restart with the counters as input, but only when no turn is buffered (those are
                // handled first, in order). preserveUnprocessedEvents: true carries over events that arrive around the
                // restart; without it they are dropped (durabletask-dotnet #387). Some backends (the in-process test
                // host among them) do not carry events over, hence the drain above.
                context.ContinueAsNew(input with { TurnCount = turns, LastTurnId = lastTurn }, preserveUnprocessedEvents: true);
                return SessionStates.Active;
            }

            using var timerCancel = new CancellationTokenSource();
            Task timer = turnTask.IsCompleted ? turnTask : context.CreateTimer(context.CurrentUtcDateTime.Add(input.IdleTimeout), timerCancel.Token);
            if (await Task.WhenAny(turnTask, timer).ConfigureAwait(true) != turnTask)
            {
                context.SetCustomStatus(new SessionCustomStatus(SessionStates.Expired, turns, lastTurn, lastError));
                await context.CallActivityAsync<string>(SessionNames.ExpireActivity, input.SessionId, ActivityRetry).ConfigureAwait(true);
                return SessionStates.Expired;
            }

            timerCancel.Cancel();
            var turn = turnTask.Result;
            try
            {
                var summary = await context.CallActivityAsync<TurnSummary>(SessionNames.AnswerTurnActivity,
                    new AnswerTurnInput(input.SessionId, turn), ActivityRetry).ConfigureAwait(true);
                turns = summary.TurnCount;
                lastTurn = summary.TurnId;
                lastError = summary.ErrorCode is { } code ? ErrorCodeJsonConverter.WireName(code) : null;
                if (summary.State != SessionStates.Active)
                {
                    context.SetCustomStatus(new SessionCustomStatus(summary.State, turns, lastTurn, lastError));
                    return summary.State;
                }
            }
            catch (TaskFailedException ex)
            {
                // Storage trouble after the retries: the turn stays unanswered; the session goes on.
                lastTurn = turn.TurnId;
                lastError = ex.FailureDetails.ErrorType;
            }

            context.SetCustomStatus(new SessionCustomStatus(SessionStates.Active, turns, lastTurn, lastError));
        }
    }
}
