using GPT4RoI.Core.Errors;

namespace GPT4RoI.Core.Contracts;

/// <summary>A box manifest that breaks the schema; the message names the manifest and the field
/// (<see cref="ErrorCode.InvalidManifest"/>).</summary>
public sealed class ManifestException : Gpt4RoIException
{
    /// <summary>Creates an error naming the manifest and what is wrong with it.</summary>
    public ManifestException(string message)
        : base(ErrorCode.InvalidManifest, message)
    {
    }

    /// <summary>Creates an error naming the manifest and what is wrong with it, with its cause.</summary>
    public ManifestException(string message, Exception innerException)
        : base(ErrorCode.InvalidManifest, message, innerException)
    {
    }

    /// <summary>Creates an error with a generic message.</summary>
    public ManifestException()
        : this("invalid box manifest")
    {
    }
}
