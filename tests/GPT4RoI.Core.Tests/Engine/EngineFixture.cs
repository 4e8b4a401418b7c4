using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Tests.Engine;

/// <summary>One engine over the shipped tiny model, shared by the engine tests (loading takes ~0.3 s).</summary>
public sealed class EngineFixture : IDisposable
{
    public EngineFixture()
    {
        RepoRoot = FindRepoRoot();
        TinyModel = Path.Combine(RepoRoot, "models", "tiny");
        Engine = new Gpt4RoIEngine(new EngineOptions { ModelPath = TinyModel, MaxConcurrency = 4 });
    }

    public string RepoRoot { get; }
    public string TinyModel { get; }
    public Gpt4RoIEngine Engine { get; }

    public static string FindRepoRoot() => RepoPaths.Root;

    public void Dispose() => Engine.Dispose();
}

[CollectionDefinition("engine")]
public sealed class EngineTestGroup : ICollectionFixture<EngineFixture>;
