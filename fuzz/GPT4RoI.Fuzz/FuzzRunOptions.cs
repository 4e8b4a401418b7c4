namespace GPT4RoI.Fuzz;

/// <summary>Settings of an in-process mutation run.</summary>
internal sealed record FuzzRunOptions
{
    /// <summary>Seed of the mutation random generator: the same seed and corpus give the same inputs.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Stop after this many executions (the seeds included).</summary>
    public long MaxExecutions { get; init; } = long.MaxValue;

    /// <summary>Stop after this much time.</summary>
    public TimeSpan MaxTime { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>An execution slower than this is a finding.</summary>
    public TimeSpan SlowThreshold { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether a (confirmed) slow execution is a finding. The smoke run only reports slow inputs: on a shared build
    /// machine timings are noise (docs/reliability.md).
    /// </summary>
    public bool SlowIsFinding { get; init; } = true;

    /// <summary>An execution still running after this is a hang: its input is saved and the process exits.</summary>
    public TimeSpan HangTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Folder for the inputs of findings (one subfolder per target); none when null.</summary>
    public string? FindingsDir { get; init; }

    /// <summary>Print a progress line this often (never when zero).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(30);
}
