using Microsoft.Extensions.Logging;

namespace GPT4RoI.Core.Diagnostics;

/// <summary>The engine's log messages (ids in <see cref="LogEvents"/>).</summary>
internal static partial class Logs
{
    [LoggerMessage(LogEvents.ProviderForcedCpu, LogLevel.Information, "Execution provider: CPU (forced by configuration)")]
    public static partial void ProviderForcedCpu(ILogger logger);

    [LoggerMessage(LogEvents.ProviderCuda, LogLevel.Information, "Execution provider: CUDA device {Device}")]
    public static partial void ProviderCuda(ILogger logger, int device);

    [LoggerMessage(LogEvents.CudaFallback, LogLevel.Warning, "CUDA execution provider unavailable ({Reason}); falling back to CPU")]
    public static partial void CudaFallback(ILogger logger, string reason);

    [LoggerMessage(LogEvents.ModelLoaded, LogLevel.Information, "Loaded model {ModelId} ({Variant}) from {Path} on {Provider} in {Ms} ms")]
    public static partial void ModelLoaded(ILogger logger, string modelId, string variant, string path, string provider, long ms);

    [LoggerMessage(LogEvents.ModelBehaviour, LogLevel.Information,
        "Model {ModelId}: preprocess {Mode}; default decoding temperature {Temperature}, top-k {TopK}, top-p {TopP}, {MaxNewTokens} new tokens; question rules {QuestionRules}; {SpecialTokens} special token(s)")]
    public static partial void ModelBehaviour(ILogger logger, string modelId, string mode, float temperature, int topK, float topP,
        int maxNewTokens, bool questionRules, int specialTokens);

    [LoggerMessage(LogEvents.ImageEncoded, LogLevel.Debug, "Image {Hash} encoded in {Ms} ms (cache {Hits} hits / {Misses} misses)")]
    public static partial void ImageEncoded(ILogger logger, string hash, long ms, long hits, long misses);

    [LoggerMessage(LogEvents.Generated, LogLevel.Debug, "Generated {Tokens} tokens after a {PromptTokens}-token prompt (reused {Reused}) in {Ms} ms, stop: {Stop}")]
    public static partial void Generated(ILogger logger, int tokens, int promptTokens, int reused, long ms, string stop);

    [LoggerMessage(LogEvents.DecodeStepFailed, LogLevel.Error, "A decoder run over {Sequences} sequence(s) failed; they end with the error")]
    public static partial void DecodeStepFailed(ILogger logger, Exception exception, int sequences);

    [LoggerMessage(LogEvents.ModelFilesChanged, LogLevel.Error, "Model folder changed under the running engine: {Reason}; every further use fails until the instance restarts")]
    public static partial void ModelFilesChanged(ILogger logger, string reason);

    [LoggerMessage(LogEvents.DetectorLoaded, LogLevel.Information, "Loaded detector {ModelId} ({Layout}, {Classes} classes, input {Size}) from {Path} on {Provider} in {Ms} ms")]
    public static partial void DetectorLoaded(ILogger logger, string modelId, string layout, int classes, int size, string path, string provider, long ms);

    [LoggerMessage(LogEvents.Detected, LogLevel.Debug, "Detected {Count} objects in {Width}x{Height} ({Candidates} candidates) in {Ms} ms")]
    public static partial void Detected(ILogger logger, int count, int width, int height, int candidates, double ms);

    [LoggerMessage(LogEvents.DetectorNaNScores, LogLevel.Warning, "The detector output held {Count} NaN scores; they were ignored (a NaN never wins and never passes the threshold)")]
    public static partial void DetectorNaNScores(ILogger logger, int count);

    [LoggerMessage(LogEvents.DetectorCandidatesCapped, LogLevel.Information, "{Dropped} of {Candidates} detection candidates were dropped before NMS (cap {Cap}, lowest scores first)")]
    public static partial void DetectorCandidatesCapped(ILogger logger, int dropped, int candidates, int cap);

    [LoggerMessage(LogEvents.Described, LogLevel.Information, "Described {Objects} of {Detections} detected objects ({Mode}) in {Ms} ms")]
    public static partial void Described(ILogger logger, int objects, int detections, string mode, long ms);
}
