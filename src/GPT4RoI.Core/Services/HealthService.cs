using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Services;

/// <summary>The health probe's check: the engine's model, its provider and cache, whether the model folder's files
/// still have the size and modification time they had at load (a few <c>stat</c> calls, no reading), and the detector
/// the instance can use (from its manifest).</summary>
public sealed class HealthService(Gpt4RoIEngine engine, string? detectorPath = null)
{
    // The detector's manifest, read once: the probe must not load the detector's graph.
    private readonly Lazy<DetectorSummary?> _detector = new(() => ReadDetector(detectorPath));

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
            Detector = _detector.Value,
        };
    }

    private static DetectorSummary? ReadDetector(string? path)
    {
        var manifest = path is null ? null : Path.Combine(path, "manifest.json");
        if (manifest is null || !File.Exists(manifest))
        {
            return null;
        }

        try
        {
            var m = DetectorManifest.Load(manifest);
            return new DetectorSummary(m.ModelId, m.ClassNames.Length);
        }
        catch (DetectorException)
        {
            return null;
        }
    }
}
