using GPT4RoI.Functions.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GPT4RoI.Functions.Tests.Hosting;

/// <summary>
/// The Functions app's HTTP layer in this process, on a real socket: Kestrel on a free loopback port routes
/// <c>/api/{route}</c> to the same function methods the Functions host calls, found the way the worker SDK finds them
/// (every <c>[Function]</c> method with an <c>[HttpTrigger]</c> parameter: its methods and route), over the app's
/// services (<c>AzuriteFixture.BuildServices</c>: the real engine on the tiny model, real Azurite storage). A
/// <c>[DurableClient]</c> parameter gets the client of an in-process durable host that runs the real session
/// orchestrator and activities. The function's <see cref="IActionResult"/> is executed by ASP.NET Core MVC, as the
/// ASP.NET Core integration does. Not simulated: authorization levels (function keys are the host's job).
/// </summary>
public sealed class FunctionsTestHost : IAsyncDisposable
{
    private readonly WebApplication _web;
    private readonly DurableTaskTestHost _durable;
    private readonly ServiceProvider _services;

    private FunctionsTestHost(WebApplication web, DurableTaskTestHost durable, ServiceProvider services, Uri address,
        IReadOnlyList<HttpRoute> routes)
    {
        _web = web;
        _durable = durable;
        _services = services;
        Address = address;
        Routes = routes;
    }

    /// <summary>The app's root, e.g. <c>http://127.0.0.1:41234/</c>; the API is under <c>api/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The HTTP functions that were mapped.</summary>
    public IReadOnlyList<HttpRoute> Routes { get; }

    /// <summary>The app's services (engine, storage, session store).</summary>
    public IServiceProvider Services => _services;

    /// <summary>The durable client the session functions are given.</summary>
    public DurableTaskClient DurableClient => _durable.Client;

    /// <summary>Starts the app over <paramref name="storage"/>'s Azurite with <paramref name="settings"/> on top of the
    /// test defaults (tiny model, that storage); every AnswerTurn first awaits <paramref name="beforeTurn"/> when given.</summary>
    public static async Task<FunctionsTestHost> StartAsync(AzuriteFixture storage, Dictionary<string, string?>? settings = null,
        Func<AnswerTurnInput, Task>? beforeTurn = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var services = storage.BuildServices(settings ?? []);
        var store = services.GetRequiredService<SessionStore>();
        var durable = await TestSessions.StartDurableHostAsync(store, beforeTurn).ConfigureAwait(false);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddRouting();
        builder.Services.AddMvcCore();
        var web = builder.Build();
        var routes = HttpRoute.Discover(typeof(ServiceCollectionExtensions).Assembly);
        foreach (var route in routes)
        {
            web.MapMethods("/api/" + route.Template, route.Methods.Select(m => m.ToUpperInvariant()).ToArray(),
                context => route.InvokeAsync(context, services, durable.Client));
        }

        await web.StartAsync().ConfigureAwait(false);
        var bound = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new FunctionsTestHost(web, durable, services, new Uri(bound.TrimEnd('/') + "/"), routes);
    }

    /// <summary>An absolute URL of the app (<paramref name="relative"/> like <c>api/health</c>).</summary>
    public Uri Url(string relative) => new(Address, relative);

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync().ConfigureAwait(false);
        await _web.DisposeAsync().ConfigureAwait(false);
        await _durable.DisposeAsync().ConfigureAwait(false);
        await _services.DisposeAsync().ConfigureAwait(false);
    }
}
