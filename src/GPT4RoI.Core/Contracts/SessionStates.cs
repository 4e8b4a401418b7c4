namespace GPT4RoI.Core.Contracts;

/// <summary>Session states as stored in the transcript.</summary>
public static class SessionStates
{
    public const string Active = "active";
    public const string Expired = "expired";
    public const string Deleted = "deleted";
}
