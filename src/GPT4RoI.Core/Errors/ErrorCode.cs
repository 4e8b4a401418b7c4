using System.Text.Json.Serialization;

namespace GPT4RoI.Core.Errors;

/// <summary>
/// What went wrong with a request, in words a caller can act on. Every user-facing failure carries one (see
/// <see cref="Gpt4RoIException"/>); result and error JSON write it in snake_case (<c>invalid_image</c>), the HTTP
/// layer maps it to a status and problem+json, the command lines to an exit code (<see cref="ExitCodes"/>).
/// </summary>
[JsonConverter(typeof(ErrorCodeJsonConverter))]
public enum ErrorCode
{
    /// <summary>The request is malformed or incomplete: bad JSON, a missing or unknown field, bad generation settings.</summary>
    InvalidRequest,

    /// <summary>The image is empty, damaged or truncated.</summary>
    InvalidImage,

    /// <summary>The bytes are not an image in a supported format (JPEG, PNG, WebP, BMP, GIF), or use an unsupported feature.</summary>
    UnsupportedImage,

    /// <summary>A box is not finite, inverted, empty or outside the image.</summary>
    InvalidRegion,

    /// <summary>The question was refused: a reserved token or the turn separator typed, region tags that do not
    /// match the boxes, too many turns.</summary>
    InvalidQuestion,

    /// <summary>A box manifest breaks its schema.</summary>
    InvalidManifest,

    /// <summary>A size or count limit was exceeded: bytes, pixels, regions, tokens.</summary>
    LimitExceeded,

    /// <summary>The HTTP body is neither of the accepted content types.</summary>
    UnsupportedMediaType,

    /// <summary>A referenced input (file, blob) does not exist.</summary>
    NotFound,

    /// <summary>The session does not exist (or was deleted).</summary>
    SessionNotFound,

    /// <summary>The session expired after being idle; start a new one.</summary>
    SessionExpired,

    /// <summary>The session exists but cannot take the request now (its orchestration is not running).</summary>
    SessionNotRunning,

    /// <summary>The session's stored image is gone.</summary>
    ImageMissing,

    /// <summary>Every engine slot is taken; try again after the advertised delay.</summary>
    Busy,

    /// <summary>The model folder is missing, invalid, or changed under the running engine.</summary>
    ModelError,

    /// <summary>A queued job failed on every delivery and was moved to the poison queue.</summary>
    FailedAfterRetries,

    /// <summary>An unexpected failure inside the service (a bug or an outage); the logs hold the details.</summary>
    Internal,

    /// <summary>A result already stored where this job's result goes has other content (tampered with or
    /// half-written); it was left as it is.</summary>
    ResultConflict,

    /// <summary>The detector folder is missing or fails validation, or its graph gave output that does not match its
    /// manifest (shape, class count, every score NaN).</summary>
    DetectorError,
}
