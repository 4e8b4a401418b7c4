namespace GPT4RoI.Core.Tests.Imaging;

/// <summary>
/// Tests that measure the process's allocated bytes (<see cref="GC.GetTotalAllocatedBytes(bool)"/>): they run
/// alone, after the parallel tests, so other tests' allocations do not count.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasured
{
    public const string Name = "allocation measured";
}
