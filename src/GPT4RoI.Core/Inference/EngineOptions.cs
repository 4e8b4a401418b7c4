using GPT4RoI.Core.Models;

namespace GPT4RoI.Core.Inference;

/// <summary>Engine settings; <see cref="Validate"/> runs when the engine starts.</summary>
public sealed record EngineOptions
{
    /// <summary>Exported model folder (manifest.json). Default: the shipped tiny model.</summary>
    public string ModelPath { get; init; } = ModelFolder.DefaultRelativePath;
    /// <summary><c>fp32</c>, <c>fp16</c> or <c>int4</c> (weight-only int4 decoder); null takes the manifest's default.</summary>
    public string? Variant { get; init; }
    /// <summary>Use the CPU provider even when CUDA is available.</summary>
    public bool ForceCpu { get; init; }
    public int CudaDeviceId { get; init; }
    /// <summary>Requests run at once; more wait. One GPU serves one decode stream best; CPU can take a few.</summary>
    public int MaxConcurrency { get; init; } = 2;
    /// <summary>Bytes of cached image features (image tokens + fused maps), keyed by image content hash.</summary>
    public long ImageCacheBytes { get; init; } = 256L * 1024 * 1024;
    /// <summary>ONNX Runtime intra-op threads per session; 0 lets it choose.</summary>
    public int IntraOpThreads { get; init; }
    public FileVerification Verification { get; init; } = FileVerification.Full;
    /// <summary>Upper bound on max_new_tokens a request may ask for.</summary>
    public int MaxNewTokensLimit { get; init; } = 1024;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
        {
            throw new ArgumentException("EngineOptions.ModelPath is empty");
        }

        if (Variant is not (null or "fp32" or "fp16" or "int4"))
        {
            throw new ArgumentException($"EngineOptions.Variant must be fp32, fp16 or int4, not '{Variant}'");
        }

        if (MaxConcurrency is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "must be 1..64");
        }

        if (ImageCacheBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ImageCacheBytes), ImageCacheBytes, "must be >= 0");
        }

        if (IntraOpThreads < 0 || CudaDeviceId < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), "IntraOpThreads and CudaDeviceId must be >= 0");
        }

        if (MaxNewTokensLimit is < 1 or > 8192)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokensLimit), MaxNewTokensLimit, "must be 1..8192");
        }
    }
}
