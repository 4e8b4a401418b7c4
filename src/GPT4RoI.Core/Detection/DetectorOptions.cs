using GPT4RoI.Core.Models;

namespace GPT4RoI.Core.Detection;

/// <summary>How a <see cref="Detector"/> is opened.</summary>
public sealed record DetectorOptions
{
    /// <summary>The detector folder (manifest.json). Default: the shipped tiny detector.</summary>
    public string Path { get; init; } = DetectorFolder.DefaultRelativePath;

    /// <summary>Use the CPU provider even when CUDA is available.</summary>
    public bool ForceCpu { get; init; }

    /// <summary>CUDA device ordinal; ignored on the CPU.</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>ONNX Runtime intra-op threads; 0 lets it choose.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>How the graph file is checked when the folder is opened: size and SHA-256 (default), or size only.</summary>
    public FileVerification Verification { get; init; } = FileVerification.Full;
}
