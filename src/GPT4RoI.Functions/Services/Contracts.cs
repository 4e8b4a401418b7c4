using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace GPT4RoI.Functions.Services;

/// <summary>Seams between the thin function classes and the services they call.</summary>
public interface IManifestIntake
{
    Task<IntakeOutcome> AcceptAsync(string name, ReadOnlyMemory<byte> content, CancellationToken ct = default);
}

public interface IJobProcessor
{
    Task<JobOutcome> ProcessAsync(string messageText, CancellationToken ct = default);
    Task<JobOutcome> ProcessPoisonAsync(string messageText, CancellationToken ct = default);
}

public interface IQueryService
{
    Task<IActionResult> HandleAsync(HttpRequest http, CancellationToken ct);
}

public interface ISessionService
{
    Task<IActionResult> CreateAsync(HttpRequest http, Microsoft.DurableTask.Client.DurableTaskClient client, CancellationToken ct);
    Task<IActionResult> SubmitTurnAsync(HttpRequest http, Microsoft.DurableTask.Client.DurableTaskClient client, string id, CancellationToken ct);
    Task<IActionResult> GetAsync(HttpRequest http, Microsoft.DurableTask.Client.DurableTaskClient client, string id, CancellationToken ct);
    Task<IActionResult> DeleteAsync(HttpRequest http, Microsoft.DurableTask.Client.DurableTaskClient client, string id, CancellationToken ct);
}
