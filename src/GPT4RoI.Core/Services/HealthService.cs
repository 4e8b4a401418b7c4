using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Services;

/// <summary>The health probe's check: the engine's model, its provider and cache, and whether the model folder's
/// files still have the size and modification time they had at load (a few <c>stat</c> calls, no reading).</summary>
public sealed class HealthService(Gpt4RoIEngine engine)
{
    /// <summary>The engine's state now.</summary>
    public HealthReport Check()
    {
        var change = engine.CheckModelFiles();
        return new HealthReport
        {
            Status = change is null ? HealthReport.Ok : HealthReport.ModelChanged,
            Model = engine.ModelId,
            Variant = engine.Folder.Variant,
            ExecutionProvider = engine.ExecutionProvider,
            ImageCache = new CacheInfo(engine.Cache.Count, engine.Cache.Bytes),
            Detail = change,
        };
    }
}
