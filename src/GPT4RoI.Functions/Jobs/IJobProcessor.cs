namespace GPT4RoI.Functions.Jobs;

/// <summary>What the queue triggers call for every job message.</summary>
public interface IJobProcessor
{
    /// <summary>Runs one job: writes its result or error JSON, at most once.</summary>
    Task<JobOutcome> ProcessAsync(string messageText, CancellationToken ct = default);

    /// <summary>Records a job that failed every delivery.</summary>
    Task<JobOutcome> ProcessPoisonAsync(string messageText, CancellationToken ct = default);
}
