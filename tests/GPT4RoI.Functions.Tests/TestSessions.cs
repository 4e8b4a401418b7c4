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
    /// <summary>Starts a durable host whose activities are <paramref name="store"/>'s.</summary>
    public static Task<DurableTaskTestHost> StartDurableHostAsync(SessionStore store) =>
        DurableTaskTestHost.StartAsync(r => r
            .AddOrchestratorFunc<SessionOrchestratorInput, string>(SessionNames.Orchestrator, (ctx, input) => SessionOrchestrator.RunAsync(ctx, input!))
            .AddActivityFunc<AnswerTurnInput, TurnSummary>(SessionNames.AnswerTurnActivity, (_, input) => store.AnswerTurnAsync(input!))
            .AddActivityFunc<string, string>(SessionNames.ExpireActivity, (_, id) => store.ExpireAsync(id!)));

    /// <summary>The session functions over <paramref name="services"/> (engine, storage, session store) with <paramref name="options"/>.</summary>
    public static SessionFunctions Functions(IServiceProvider services, FunctionsOptions options) =>
        new(new SessionService(services.GetRequiredService<SessionStore>(), services.GetRequiredService<ConversationService>(),
                services.GetRequiredService<TurnStreams>(), Options.Create(options), NullLogger<SessionService>.Instance),
            services.GetRequiredService<HttpRequestReader>(), services.GetRequiredService<InboxImages>(),
            services.GetRequiredService<Lazy<DescribeService>>(), services.GetRequiredService<SseWriter>(), NullLogger<SessionFunctions>.Instance);
}
