namespace GPT4RoI.Functions.Jobs;

public enum IntakeOutcome
{
    /// <summary>Valid: a job message was queued.</summary>
    Enqueued,
    /// <summary>Invalid: an error JSON was written where its results would go.</summary>
    Rejected,
    /// <summary>Not a manifest (images land in the same container).</summary>
    Ignored,
}
