namespace GPT4RoI.Functions.Jobs;

/// <summary>What the blob trigger calls for every new inbox blob.</summary>
public interface IManifestIntake
{
    /// <summary>Validates a dropped manifest and queues its job, or writes its error JSON; other blobs are ignored.</summary>
    Task<IntakeOutcome> AcceptAsync(string name, ReadOnlyMemory<byte> content, CancellationToken ct = default);
}
