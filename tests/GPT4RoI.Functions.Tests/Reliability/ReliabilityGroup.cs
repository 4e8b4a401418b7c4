namespace GPT4RoI.Functions.Tests.Reliability;

/// <summary>The fault and load tests share one Azurite of their own (the fault tests stop and restart it) and run one
/// after another, beside the other storage tests.</summary>
[CollectionDefinition("reliability")]
public sealed class ReliabilityGroup : ICollectionFixture<AzuriteFixture>;
