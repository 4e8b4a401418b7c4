using GPT4RoI.Functions.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GPT4RoI.Functions.Tests.Telemetry;

/// <summary>Exporters come from configuration: OTLP, Azure Monitor, both, or nothing at all.</summary>
public sealed class TelemetryWiringTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddGpt4RoITelemetry(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AddGpt4RoITelemetry_NothingConfigured_RegistersNothing()
    {
        using var sp = Build([]);

        Assert.Null(sp.GetService<TracerProvider>());
        Assert.Null(sp.GetService<MeterProvider>());
        Assert.Empty(TelemetryServiceCollectionExtensions.ConfiguredExporters(sp.GetRequiredService<IConfiguration>()));
    }

    [Theory]
    [InlineData(TelemetryServiceCollectionExtensions.OtlpEndpointSetting, "http://127.0.0.1:4317", "otlp")]
    [InlineData(TelemetryServiceCollectionExtensions.AzureMonitorSetting,
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/", "azure_monitor")]
    public void AddGpt4RoITelemetry_ExporterConfigured_TracesAndMetricsProviders(string key, string value, string exporter)
    {
        using var sp = Build(new() { [key] = value });

        Assert.Equal([exporter], TelemetryServiceCollectionExtensions.ConfiguredExporters(sp.GetRequiredService<IConfiguration>()));
        Assert.NotNull(sp.GetService<TracerProvider>());
        Assert.NotNull(sp.GetService<MeterProvider>());
    }

    [Fact]
    public void AddGpt4RoITelemetry_Configured_SpansOfTheWorkersInvocationAreRecordedToo()
    {
        using var sp = Build(new() { [TelemetryServiceCollectionExtensions.OtlpEndpointSetting] = "http://127.0.0.1:4317" });
        Assert.NotNull(sp.GetRequiredService<TracerProvider>());
        using var worker = new System.Diagnostics.ActivitySource("Microsoft.Azure.Functions.Worker");

        // Listened to (a span is created) only when the provider subscribes to the source.
        using var invocation = worker.StartActivity("Invoke");
        Assert.NotNull(invocation);
        using var query = GPT4RoI.Core.Diagnostics.Gpt4RoITelemetry.Source.StartActivity(GPT4RoI.Core.Diagnostics.Gpt4RoITelemetry.QuerySpan);
        Assert.NotNull(query);
        Assert.Equal(invocation.SpanId, query.ParentSpanId);
    }
}
