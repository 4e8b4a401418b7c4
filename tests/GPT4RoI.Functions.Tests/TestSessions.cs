using System.Net;
using System.Net.Sockets;
using GPT4RoI.Core.Services;
using GPT4RoI.Functions.Functions;
using GPT4RoI.Functions.Http;
using GPT4RoI.Functions.Sessions;
using GPT4RoI.Functions.Storage;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions.Tests;

/// <summary>The session functions over the app's services with chosen options, and an in-process durable host that
/// runs the real session orchestrator and activities.</summary>
internal static class TestSessions
{
    /// <summary>Starts a durable host whose activities are <paramref name="store"/>'s; each AnswerTurn first awaits
    /// <paramref name="beforeTurn"/> when given (a turn held back, as when it queues behind a slow one).</summary>
    public static async Task<DurableTaskTestHost> StartDurableHostAsync(SessionStore store, Func<AnswerTurnInput, Task>? beforeTurn = null)
    {
        // The host's own port choice is random and unchecked, and collided with ports in use; take one the system
        // just gave out, and another if it was taken in between.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await DurableTaskTestHost.StartAsync(r => r
                    .AddOrchestratorFunc<SessionOrchestratorInput, string>(SessionNames.Orchestrator, (ctx, input) => SessionOrchestrator.RunAsync(ctx, input!))
                    .AddActivityFunc<AnswerTurnInput, TurnSummary>(SessionNames.AnswerTurnActivity, async (_, input) =>
                    {
                        if (beforeTurn is not null)
                        {
                            await beforeTurn(input!).ConfigureAwait(false);
                        }

                        return await store.AnswerTurnAsync(input!).ConfigureAwait(false);
                    })
                    .AddActivityFunc<string, string>(SessionNames.ExpireActivity, (_, id) => store.ExpireAsync(id!)),
                    new DurableTaskTestHostOptions { Port = FreePort() }).ConfigureAwait(false);
            }
            catch (IOException) when (attempt < 5)
            {
                // Address in use: try another port.
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The session functions over <paramref name="services"/> (engine, storage, session store) with <paramref name="options"/>.</summary>
    public static SessionFunctions Functions(IServiceProvider services, FunctionsOptions options) =>
        new(new SessionService(services.GetRequiredService<SessionStore>(), services.GetRequiredService<ConversationService>(),
                services.GetRequiredService<TurnStreams>(), Options.Create(options), NullLogger<SessionService>.Instance),
            services.GetRequiredService<HttpRequestReader>(), services.GetRequiredService<InboxImages>(),
            services.GetRequiredService<Lazy<DescribeService>>(), services.GetRequiredService<SseWriter>(), NullLogger<SessionFunctions>.Instance);
}
