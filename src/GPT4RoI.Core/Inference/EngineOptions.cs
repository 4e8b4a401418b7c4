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
    /// <summary>CUDA device ordinal for the CUDA provider, 0 for the first GPU; ignored on the CPU.</summary>
    public int CudaDeviceId { get; init; }
    /// <summary>Vision and region-head runs at once (the decoder has its own loop, see <see cref="MaxBatch"/>); more wait.</summary>
    public int MaxConcurrency { get; init; } = 2;
    /// <summary>Answers decoded together in one batched decoder step at most (key/value cache slots); further
    /// questions wait for a slot. Also bounded by <see cref="KvCacheBytes"/>.</summary>
    public int MaxBatch { get; init; } = 8;
    /// <summary>Positions per cache slot (prompt + answer of a conversation, plus one scratch row); 0 takes the model's
    /// max_positions, at most 4096.</summary>
    public int KvCapacity { get; init; }
    /// <summary>Memory for the key/value cache: the slot count is the smaller of <see cref="MaxBatch"/> and what fits
    /// (at least one slot).</summary>
    public long KvCacheBytes { get; init; } = 1L << 30;
    /// <summary>Bytes of cached image features (image tokens + fused maps), keyed by image content hash.</summary>
    public long ImageCacheBytes { get; init; } = 256L * 1024 * 1024;
    /// <summary>ONNX Runtime intra-op threads per session; 0 lets it choose.</summary>
    public int IntraOpThreads { get; init; }
    /// <summary>How the model files are checked at start: size and SHA-256 (default), or size only.</summary>
    public FileVerification Verification { get; init; } = FileVerification.Full;
    /// <summary>Upper bound on max_new_tokens a request may ask for.</summary>
    public int MaxNewTokensLimit { get; init; } = 1024;

    /// <summary>Checks every setting's range; the engine calls it before loading anything.</summary>
    /// <exception cref="ArgumentException">A setting is empty or out of range; the message names it.</exception>
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

        if (MaxBatch is < 1 or > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, "must be 1..256");
        }

        if (KvCapacity is < 0 or > 65536 or 1)
        {
            throw new ArgumentOutOfRangeException(nameof(KvCapacity), KvCapacity, "must be 0 (the model's) or 2..65536");
        }

        if (KvCacheBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(KvCacheBytes), KvCacheBytes, "must be positive");
        }

        if (MaxNewTokensLimit is < 1 or > 8192)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokensLimit), MaxNewTokensLimit, "must be 1..8192");
        }
    }
}
