namespace GPT4RoI.Core.Contracts;

/// <summary>Session states as stored in the transcript.</summary>
public static class SessionStates
{
    /// <summary>The session takes turns.</summary>
    public const string Active = "active";
    /// <summary>No turn came for the idle timeout: the image is deleted and further turns are refused (409).</summary>
    public const string Expired = "expired";
    /// <summary>Deleted by <c>DELETE /api/sessions/{id}</c>: the image is gone, the transcript kept as a tombstone.</summary>
    public const string Deleted = "deleted";
}
