namespace GPT4RoI.Core.Models;

/// <summary>How much of each file to check when a model folder is opened.</summary>
public enum FileVerification
{
    /// <summary>Size and SHA-256 of every file (seconds per GB).</summary>
    Full,
    /// <summary>Size only: for large models on slow mounts, after a first full check.</summary>
    SizeOnly,
}
