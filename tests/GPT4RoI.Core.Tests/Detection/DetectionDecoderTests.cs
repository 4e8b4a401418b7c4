using System.Diagnostics;
using System.Globalization;
using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.ModelTools.Tensors;
using GPT4RoI.TestSupport;
using Xunit.Abstractions;

namespace GPT4RoI.Core.Tests.Detection;

/// <summary>Decode + NMS on hand-made outputs (golden/postprocess) and on bad or large outputs.</summary>
public sealed class DetectionDecoderTests(ITestOutputHelper output)
{
    private static readonly string[] Classes = ["circle", "square", "triangle"];

    public static TheoryData<string> FixtureCases() => ["rules", "max_detections", "none", "stretch"];

    [Theory]
    [MemberData(nameof(FixtureCases))]
    public void DecodeYolo_PostprocessFixture_MatchesReference(string name)
    {
        var dir = Path.Combine(TinyDetector.GoldenDir, "postprocess");
        var cases = TinyDetector.ReadJson(Path.Combine(dir, "cases.json"));
        var c = cases.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var raw = TensorBundle.Load(Path.Combine(dir, "tensors.json")).Get(c.GetProperty("output").GetString()!);
        var pp = c.GetProperty("postprocess");
        var settings = new DetectionSettings
        {
            ScoreThreshold = pp.GetProperty("score_threshold").GetDouble(),
            NmsIouThreshold = pp.GetProperty("nms_iou_threshold").GetDouble(),
            MaxDetections = pp.GetProperty("max_detections").GetInt32(),
        };

        var result = DetectionDecoder.DecodeYolo(raw.AsFloat32(), (int)raw.Shape[1] - 4, (int)raw.Shape[2], TinyDetector.Geometry(c.GetProperty("geometry")), settings, Classes);

        DetectorGoldenTests.AssertSameDetections(c.GetProperty("detections"), result.Detections, 1e-3, 0, sameAnchor: true);
        if (name == "rules")
        {
            Assert.True(result.NaNScores > 0, "the rules case holds NaN scores");
        }
    }

    [Fact]
    public void DecodeYolo_NaNScores_AreIgnoredAndCounted()
    {
        // Anchor 0: class 0 NaN, class 1 0.9 -> class 1 wins. Anchor 1: every class NaN -> never a candidate.
        float[] raw =
        [
            50, 150, // cx
            50, 150, // cy
            20, 20,  // w
            20, 20,  // h
            float.NaN, float.NaN,
            0.9f, float.NaN,
            0.1f, float.NaN,
        ];

        var result = DetectionDecoder.DecodeYolo(raw, 3, 2, LetterboxGeometry.For(200, 200, 200, "letterbox"), Settings(0.5), Classes);

        var d = Assert.Single(result.Detections);
        Assert.Equal(1, d.ClassId);
        Assert.Equal("square", d.Label);
        Assert.Equal(4, result.NaNScores);
    }

    [Fact]
    public void DecodeYolo_EveryScoreNaN_ThrowsDetectorError()
    {
        var raw = new float[7 * 16];
        raw.AsSpan(4 * 16).Fill(float.NaN);

        var ex = Assert.Throws<DetectorException>(() =>
            DetectionDecoder.DecodeYolo(raw, 3, 16, LetterboxGeometry.For(64, 64, 64, "letterbox"), Settings(0.5), Classes));

        Assert.Equal(ErrorCode.DetectorError, ex.Code);
        Assert.Contains("NaN", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeYolo_WrongLength_ThrowsDetectorError()
    {
        var ex = Assert.Throws<DetectorException>(() =>
            DetectionDecoder.DecodeYolo(new float[30], 3, 5, LetterboxGeometry.For(64, 64, 64, "letterbox"), Settings(0.5), Classes));

        Assert.Contains("[1, 7, 5]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeYolo_NothingAboveThreshold_GivesNoDetections()
    {
        var raw = new float[7 * 64];
        raw.AsSpan(0, 4 * 64).Fill(10);
        raw.AsSpan(4 * 64).Fill(0.2f);

        var result = DetectionDecoder.DecodeYolo(raw, 3, 64, LetterboxGeometry.For(640, 480, 256, "letterbox"), Settings(0.5), Classes);

        Assert.Empty(result.Detections);
        Assert.Equal(0, result.Candidates);
    }

    [Fact]
    public void DecodeYolo_TenThousandCandidates_CapsThemAndStaysFast()
    {
        // 10,000 anchors, every one above the threshold, one class, on a 100 x 100 grid of overlapping 12 px boxes.
        const int anchors = 10_000;
        var raw = new float[7 * anchors];
        for (var a = 0; a < anchors; a++)
        {
            raw[a] = 8 + ((a % 100) * 6);                   // cx
            raw[anchors + a] = 8 + ((a / 100) * 6);         // cy
            raw[(2 * anchors) + a] = 12;                    // w
            raw[(3 * anchors) + a] = 12;                    // h
            raw[(4 * anchors) + a] = 0.5f + (0.49f * ((a * 7919) % anchors) / anchors);
        }

        var g = LetterboxGeometry.For(1200, 1200, 640, "letterbox");
        var settings = Settings(0.3) with { NmsIouThreshold = 0.5 };
        DetectionDecoder.DecodeYolo(raw, 3, anchors, g, settings, Classes); // warm-up
        var sw = Stopwatch.StartNew();
        const int runs = 20;
        DetectionResult result = null!;
        for (var i = 0; i < runs; i++)
        {
            result = DetectionDecoder.DecodeYolo(raw, 3, anchors, g, settings, Classes);
        }

        var ms = sw.Elapsed.TotalMilliseconds / runs;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"10,000 candidates: {ms:F3} ms per decode + NMS; {result.Detections.Count} kept"));
        Assert.Equal(anchors, result.Candidates);
        Assert.Equal(anchors - DetectionSettings.DefaultMaxCandidates, result.CappedCandidates);
        Assert.Equal(100, result.Detections.Count);
        Assert.True(result.Detections.Zip(result.Detections.Skip(1)).All(p => p.First.Score >= p.Second.Score), "score order");
        Assert.True(ms < 50, $"decode + NMS of 10,000 candidates took {ms} ms");
    }

    [Fact]
    public void DecodeYolo_WithoutCap_EqualsBruteForceReference()
    {
        // Random overlapping boxes in two classes; the capped-at-infinity result must equal a plain O(n^2) greedy NMS.
        var rng = new Random(7);
        const int anchors = 700;
        var raw = new float[7 * anchors];
        for (var a = 0; a < anchors; a++)
        {
            raw[a] = rng.Next(0, 256);
            raw[anchors + a] = rng.Next(0, 256);
            raw[(2 * anchors) + a] = rng.Next(4, 60);
            raw[(3 * anchors) + a] = rng.Next(4, 60);
            raw[((4 + (a % 3)) * anchors) + a] = (float)Math.Round(rng.NextDouble(), 2);
        }

        var g = LetterboxGeometry.For(256, 256, 256, "letterbox");   // no padding: every box keeps some area after clipping
        var settings = Settings(0.2) with { NmsIouThreshold = 0.45, MaxCandidates = int.MaxValue, MaxDetections = 1000 };

        var result = DetectionDecoder.DecodeYolo(raw, 3, anchors, g, settings, Classes);

        var expected = BruteForce(raw, anchors, 0.2, 0.45);
        Assert.Equal(expected, result.Detections.Select(d => d.Anchor).ToList());
        Assert.True(result.Detections.Count > 20);
    }

    [Fact]
    public void DecodeRows_CxcywhNormalized_MapsAndFilters()
    {
        float[] boxes = [0.5f, 0.5f, 0.25f, 0.25f, 0.1f, 0.1f, 0.1f, 0.1f, float.NaN, 0, 1, 1];
        float[] scores = [0.9f, float.NaN, 0.95f];
        long[] labels = [2, 0, 7];

        var result = DetectionDecoder.DecodeRows(boxes, scores, labels, "cxcywh", "normalized", LetterboxGeometry.For(200, 100, 100, "letterbox"), Settings(0.3), Classes);

        var d = Assert.Single(result.Detections);
        Assert.Equal("triangle", d.Label);
        Assert.Equal(new BoundingBox(75, 25, 125, 75), d.Box);   // input 37.5..62.5 x, 37.5..62.5 y; pad_y 25
        Assert.Equal(1, result.NaNScores);
    }

    [Fact]
    public void DecodeRows_RowCountsDisagree_ThrowsDetectorError() =>
        Assert.Throws<DetectorException>(() => DetectionDecoder.DecodeRows(new float[8], new float[2], new long[3], "xyxy", "input_pixels",
            LetterboxGeometry.For(10, 10, 10, "letterbox"), Settings(0.3), Classes));

    [Theory]
    [InlineData(640, 480, 256, 256, 192, 0, 32)]
    [InlineData(480, 640, 256, 192, 256, 32, 0)]
    [InlineData(503, 469, 256, 256, 239, 0, 8)]
    [InlineData(5000, 3, 256, 256, 1, 0, 127)]
    public void For_Letterbox_IsIntegerExact(int w, int h, int s, int newW, int newH, int padX, int padY) =>
        Assert.Equal(new LetterboxGeometry(w, h, s, newW, newH, padX, padY), LetterboxGeometry.For(w, h, s, "letterbox"));

    private static DetectionSettings Settings(double threshold) =>
        new() { ScoreThreshold = threshold, NmsIouThreshold = 0.5, MaxDetections = 100 };

    private static List<int> BruteForce(float[] raw, int anchors, double threshold, double iouThreshold)
    {
        var cands = new List<(int Anchor, int Class, float Score, double[] Box)>();
        for (var a = 0; a < anchors; a++)
        {
            int best = 0;
            for (var c = 1; c < 3; c++)
            {
                if (raw[((4 + c) * anchors) + a] > raw[((4 + best) * anchors) + a])
                {
                    best = c;
                }
            }

            var s = raw[((4 + best) * anchors) + a];
            if (s > threshold)
            {
                double cx = raw[a], cy = raw[anchors + a], w = raw[(2 * anchors) + a], h = raw[(3 * anchors) + a];
                cands.Add((a, best, s, [cx - (w / 2), cy - (h / 2), cx + (w / 2), cy + (h / 2)]));
            }
        }

        var ordered = cands.OrderByDescending(c => c.Score).ThenBy(c => c.Anchor).ToList();
        var kept = new List<(int Anchor, int Class, double[] Box)>();
        foreach (var c in ordered)
        {
            if (kept.Any(k => k.Class == c.Class && Iou(k.Box, c.Box) > iouThreshold))
            {
                continue;
            }

            kept.Add((c.Anchor, c.Class, c.Box));
        }

        return kept.Select(k => k.Anchor).ToList();
    }

    private static double Iou(double[] a, double[] b)
    {
        var iw = Math.Max(0, Math.Min(a[2], b[2]) - Math.Max(a[0], b[0]));
        var ih = Math.Max(0, Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]));
        var inter = iw * ih;
        var union = (Math.Max(0, a[2] - a[0]) * Math.Max(0, a[3] - a[1])) + (Math.Max(0, b[2] - b[0]) * Math.Max(0, b[3] - b[1])) - inter;
        return union > 0 ? inter / union : 0;
    }
}
