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
    public InferenceSession Vision { get; } = null!;
    public InferenceSession RegionHead { get; } = null!;
    public InferenceSession Decoder { get; } = null!;
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

    private static (SessionOptions, string) CreateSessionOptions(EngineOptions options, ILogger logger)
    {
        var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (options.IntraOpThreads > 0)
        {
            so.IntraOpNumThreads = options.IntraOpThreads;
        }

        if (options.ForceCpu)
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
            so.AppendExecutionProvider_CUDA(options.CudaDeviceId);
            Logs.ProviderCuda(logger, options.CudaDeviceId);
            return (so, "CUDA");
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            // The CUDA provider needs CUDA 13 + cuDNN 9 libraries, or the GPU package of ONNX Runtime.
            so.Dispose();
            so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            if (options.IntraOpThreads > 0)
            {
                so.IntraOpNumThreads = options.IntraOpThreads;
            }

            Logs.CudaFallback(logger, FirstLine(ex.Message));
            return (so, "CPU");
        }
        finally
        {
            env.EnvLogLevel = level;
        }
    }

    private static string FirstLine(string s)
    {
        var i = s.IndexOf('\n', StringComparison.Ordinal);
        return i < 0 ? s : s[..i];
    }

    public void Dispose()
    {
        Vision?.Dispose();
        RegionHead?.Dispose();
        Decoder?.Dispose();
        RunOptions?.Dispose();
        _sessionOptions?.Dispose();
    }
}
