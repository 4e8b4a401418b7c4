using GPT4RoI.Core.Errors;

namespace GPT4RoI.Core.Models;

/// <summary>A model folder that fails validation, or a model file that changed under a running engine; the message
/// names the file or field (<see cref="ErrorCode.ModelError"/>).</summary>
public sealed class ModelLoadException : Gpt4RoIException
{
    /// <summary>Creates an error naming what is wrong with the model folder.</summary>
    public ModelLoadException(string message)
        : base(ErrorCode.ModelError, message)
    {
    }

    /// <summary>Creates an error naming what is wrong with the model folder, with its cause.</summary>
    public ModelLoadException(string message, Exception innerException)
        : base(ErrorCode.ModelError, message, innerException)
    {
    }

    /// <summary>Creates an error with a generic message.</summary>
    public ModelLoadException()
        : this("the model folder is not valid")
    {
    }
}
