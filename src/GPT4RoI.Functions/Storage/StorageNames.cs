namespace GPT4RoI.Functions.Storage;

/// <summary>Container and queue names: constants, because the trigger attributes need them at build time.</summary>
public static class StorageNames
{
    public const string Inbox = "inbox";
    public const string Results = "results";
    public const string Sessions = "sessions";
    public const string JobQueue = "gpt4roi-jobs";
    /// <summary>Where the host moves a job after host.json's maxDequeueCount failed tries.</summary>
    public const string JobPoisonQueue = JobQueue + "-poison";
    public const string Connection = "AzureWebJobsStorage";
}
