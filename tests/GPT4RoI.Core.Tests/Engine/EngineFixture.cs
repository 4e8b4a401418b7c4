using GPT4RoI.Core.Inference;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Engine;

/// <summary>One engine over the shipped tiny model, shared by the engine tests (loading takes ~0.3 s).</summary>
public sealed class EngineFixture : IDisposable
{
    public Gpt4RoIEngine Engine { get; } = new(new EngineOptions { ModelPath = TinyModel.Path, MaxConcurrency = 4 });

    public void Dispose() => Engine.Dispose();
}

[CollectionDefinition("engine")]
public sealed class EngineTestGroup : ICollectionFixture<EngineFixture>;
