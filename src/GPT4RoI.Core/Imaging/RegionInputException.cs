using System.Globalization;
using GPT4RoI.Core.Errors;

namespace GPT4RoI.Core.Imaging;

/// <summary>A region (box) input was rejected; the message names the region (1-based, as in the prompt's region1)
/// (<see cref="ErrorCode.InvalidRegion"/>, or <see cref="ErrorCode.LimitExceeded"/> for too many regions).</summary>
public sealed class RegionInputException : Gpt4RoIException
{
    /// <summary>Creates an exception about one region (<paramref name="regionIndex"/> zero-based) or the whole list (null).</summary>
    public RegionInputException(int? regionIndex, string detail, ErrorCode code = ErrorCode.InvalidRegion, Exception? innerException = null)
        : base(code, regionIndex is int i ? string.Create(CultureInfo.InvariantCulture, $"region {i + 1}: {detail}") : detail, innerException)
    {
        RegionIndex = regionIndex;
    }

    /// <summary>Creates an exception about the whole region list.</summary>
    public RegionInputException()
        : this(null, "invalid regions")
    {
    }

    /// <summary>Creates an exception about the whole region list, with a message.</summary>
    public RegionInputException(string message)
        : this(null, message)
    {
    }

    /// <summary>Creates an exception about the whole region list, with a message and cause.</summary>
    public RegionInputException(string message, Exception innerException)
        : this(null, message, ErrorCode.InvalidRegion, innerException)
    {
    }

    /// <summary>Zero-based index of the rejected region, or null when the error concerns the whole list.</summary>
    public int? RegionIndex { get; }
}
