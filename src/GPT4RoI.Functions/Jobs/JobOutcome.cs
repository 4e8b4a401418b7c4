namespace GPT4RoI.Functions.Jobs;

public enum JobOutcome
{
    ResultWritten,
    /// <summary>The result (or error) was already there: a redelivered message; nothing was written.</summary>
    AlreadyDone,
    ErrorWritten,
    /// <summary>The image has not arrived; the job was queued again to look later.</summary>
    WaitingForImage,
    /// <summary>The manifest changed after this job was queued; the newer upload has its own job.</summary>
    Superseded,
}
