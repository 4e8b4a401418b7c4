using Azure.Monitor.OpenTelemetry.Exporter;
using GPT4RoI.Core.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GPT4RoI.Functions.Telemetry;

/// <summary>
/// OpenTelemetry for the engine's spans and metrics (<see cref="Gpt4RoITelemetry"/>), exported only where configured:
/// OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter reads it and the other standard
/// <c>OTEL_EXPORTER_OTLP_*</c> settings itself), Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is
/// set, both when both are. With neither, nothing is registered and the instruments stay silent.
/// </summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The standard OTLP endpoint setting (e.g. <c>http://collector:4317</c>).</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The Application Insights connection string setting.</summary>
    public const string AzureMonitorSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>The service name setting (default <see cref="DefaultServiceName"/>).</summary>
    public const string ServiceNameSetting = "OTEL_SERVICE_NAME";

    /// <summary>The service name spans and metrics carry unless <see cref="ServiceNameSetting"/> says otherwise.</summary>
    public const string DefaultServiceName = "gpt4roi-functions";

    /// <summary>The exporters the configuration asks for: <c>otlp</c>, <c>azure_monitor</c> (empty: none).</summary>
    public static IReadOnlyList<string> ConfiguredExporters(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var exporters = new List<string>();
        if (!string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]))
        {
            exporters.Add("otlp");
        }

        if (!string.IsNullOrWhiteSpace(configuration[AzureMonitorSetting]))
        {
            exporters.Add("azure_monitor");
        }

        return exporters;
    }

    /// <summary>Registers tracing and metrics with the configured exporters; does nothing when none is configured.</summary>
    public static IServiceCollection AddGpt4RoITelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var exporters = ConfiguredExporters(configuration);
        if (exporters.Count == 0)
        {
            return services;
        }

        var otlp = exporters.Contains("otlp");
        var azureMonitor = configuration[AzureMonitorSetting];
        var serviceName = configuration[ServiceNameSetting] is { Length: > 0 } name ? name : DefaultServiceName;
        services.AddOpenTelemetry()
            // The worker's integration: its invocation span, continuing the host's trace, is the parent of the app's
            // request spans; and the Functions resource attributes (app, instance, region).
            .UseFunctionsWorkerDefaults()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(t =>
            {
                t.AddSource(Gpt4RoITelemetry.Name);
                if (otlp)
                {
                    t.AddOtlpExporter();
                }

                if (!string.IsNullOrWhiteSpace(azureMonitor))
                {
                    t.AddAzureMonitorTraceExporter(o => o.ConnectionString = azureMonitor);
                }
            })
            .WithMetrics(m =>
            {
                m.AddMeter(Gpt4RoITelemetry.Name);
                if (otlp)
                {
                    m.AddOtlpExporter();
                }

                if (!string.IsNullOrWhiteSpace(azureMonitor))
                {
                    m.AddAzureMonitorMetricExporter(o => o.ConnectionString = azureMonitor);
                }
            });
        return services;
    }
}
