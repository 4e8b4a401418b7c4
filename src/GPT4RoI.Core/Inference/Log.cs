using Microsoft.Extensions.Logging;

namespace GPT4RoI.Core.Inference;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Execution provider: CPU (forced by configuration)")]
    public static partial void ProviderForcedCpu(ILogger logger);

    [LoggerMessage(2, LogLevel.Information, "Execution provider: CUDA device {Device}")]
    public static partial void ProviderCuda(ILogger logger, int device);

    [LoggerMessage(3, LogLevel.Warning, "CUDA execution provider unavailable ({Reason}); falling back to CPU")]
    public static partial void CudaFallback(ILogger logger, string reason);

    [LoggerMessage(4, LogLevel.Information, "Loaded model {ModelId} ({Variant}) from {Path} on {Provider} in {Ms} ms")]
    public static partial void ModelLoaded(ILogger logger, string modelId, string variant, string path, string provider, long ms);

    [LoggerMessage(5, LogLevel.Debug, "Image {Hash} encoded in {Ms} ms (cache {Hits} hits / {Misses} misses)")]
    public static partial void ImageEncoded(ILogger logger, string hash, long ms, long hits, long misses);

    [LoggerMessage(6, LogLevel.Debug, "Generated {Tokens} tokens after a {PromptTokens}-token prompt (reused {Reused}) in {Ms} ms, stop: {Stop}")]
    public static partial void Generated(ILogger logger, int tokens, int promptTokens, int reused, long ms, string stop);
}
