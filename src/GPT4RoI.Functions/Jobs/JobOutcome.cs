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
    /// <summary>A blob with other content (tampered with or half-written) is where the result goes: it was kept, the
    /// conflict logged and written as the manifest's error JSON (<c>result_conflict</c>); retrying cannot help.</summary>
    ResultConflict,
}
