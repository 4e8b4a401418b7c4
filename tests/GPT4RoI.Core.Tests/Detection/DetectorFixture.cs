using GPT4RoI.Core.Detection;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Detection;

/// <summary>The shipped tiny detector, opened once for a test class (CPU).</summary>
public sealed class DetectorFixture : IDisposable
{
    public Detector Detector { get; } = new(new DetectorOptions { Path = TinyDetector.Path, ForceCpu = true });

    public void Dispose() => Detector.Dispose();
}
