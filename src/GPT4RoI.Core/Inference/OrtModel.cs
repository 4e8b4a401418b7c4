using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Models;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace GPT4RoI.Core.Inference;

/// <summary>Owns the three ONNX Runtime sessions of a model folder, their options and one long-lived
/// <see cref="RunOptions"/> (a RunOptions created per Run and never disposed crashed ONNX Runtime here).
/// <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>
/// is thread-safe, so one instance serves concurrent requests.</summary>
public sealed class OrtModel : IDisposable
{
    private readonly SessionOptions _sessionOptions;

    /// <summary>Opens the chosen variant's three graphs with the CUDA provider, or the CPU when
    /// <see cref="EngineOptions.ForceCpu"/> is set or CUDA cannot be used (logged with the reason).</summary>
    /// <exception cref="ModelLoadException">ONNX Runtime cannot load a graph.</exception>
    public OrtModel(ModelFolder folder, EngineOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        (_sessionOptions, ExecutionProvider) = CreateSessionOptions(options, logger);
        try
        {
            Vision = Open(folder, "vision");
            RegionHead = Open(folder, "region_head");
            Decoder = Open(folder, "decoder");
        }
        catch
        {
            Dispose();
            throw;
        }

        RunOptions = new RunOptions();
    }

    /// <summary><c>CUDA</c> or <c>CPU</c>.</summary>
    public string ExecutionProvider { get; }
    /// <summary>The vision graph: pixels → image tokens and fused maps.</summary>
    public InferenceSession Vision { get; } = null!;
    /// <summary>The region head: RoIAlign features and normalised boxes → region embeddings.</summary>
    public InferenceSession RegionHead { get; } = null!;
    /// <summary>The decoder step: embeddings, mask, positions and past key/values → logits and present key/values.</summary>
    public InferenceSession Decoder { get; } = null!;
    /// <summary>The one <see cref="Microsoft.ML.OnnxRuntime.RunOptions"/> every <c>Run</c> call passes; owned here, never
    /// disposed by callers.</summary>
    public RunOptions RunOptions { get; } = null!;

    private InferenceSession Open(ModelFolder folder, string graph)
    {
        var path = folder.GraphPath(graph);
        try
        {
            return new InferenceSession(path, _sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"ONNX Runtime could not load '{path}': {ex.Message}", ex);
        }
    }

    private static (SessionOptions, string) CreateSessionOptions(EngineOptions options, ILogger logger) =>
        CreateSessionOptions(options.ForceCpu, options.CudaDeviceId, options.IntraOpThreads, logger);

    /// <summary>Session options with the CUDA provider, or the CPU when forced or when CUDA cannot be used (logged with
    /// the reason); also used by the detector, so both pick their provider the same way.</summary>
    internal static (SessionOptions Options, string Provider) CreateSessionOptions(bool forceCpu, int cudaDeviceId, int intraOpThreads, ILogger logger)
    {
        var so = NewSessionOptions(intraOpThreads);
        if (forceCpu)
        {
            Logs.ProviderForcedCpu(logger);
            return (so, "CPU");
        }

        // ONNX Runtime prints its own error when the CUDA libraries are missing; the fallback below logs
        // the reason once, through our logger, so silence the native logger for this probe.
        var env = OrtEnv.Instance();
        var level = env.EnvLogLevel;
        env.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
        try
        {
            so.AppendExecutionProvider_CUDA(cudaDeviceId);
            Logs.ProviderCuda(logger, cudaDeviceId);
            return (so, "CUDA");
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            // The CUDA provider needs CUDA 13 + cuDNN 9 libraries, or the GPU package of ONNX Runtime.
            so.Dispose();
            so = NewSessionOptions(intraOpThreads);
            Logs.CudaFallback(logger, FirstLine(ex.Message));
            return (so, "CPU");
        }
        finally
        {
            env.EnvLogLevel = level;
        }
    }

    private static SessionOptions NewSessionOptions(int intraOpThreads)
    {
        var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (intraOpThreads > 0)
        {
            so.IntraOpNumThreads = intraOpThreads;
        }

        return so;
    }

    internal static string FirstLine(string s)
    {
        var i = s.IndexOf('\n', StringComparison.Ordinal);
        return i < 0 ? s : s[..i];
    }

    /// <summary>Disposes the three sessions, the run options and the session options.</summary>
    public void Dispose()
    {
        Vision?.Dispose();
        RegionHead?.Dispose();
        Decoder?.Dispose();
        RunOptions?.Dispose();
        _sessionOptions?.Dispose();
    }
}
