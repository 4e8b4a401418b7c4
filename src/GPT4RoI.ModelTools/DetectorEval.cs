using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Services;

namespace GPT4RoI.ModelTools;

/// <summary>
/// The detector as GPT4RoI's region provider, end to end through the C# pipeline, on the scenes that
/// <c>python3 -m gpt4roi_ref.evaluate_detector --dump DIR</c> wrote: C# detector (ONNX Runtime) → C# decode + NMS →
/// GPT4RoI asked the dump's question about each detected box (<see cref="DescribeService"/>, per region). Prints
/// detection recall/precision (IoU ≥ 0.5, greedy in score order, as the Python evaluation matches), the answers'
/// accuracy against the matched object, agreement with the reference's detections and answers, and the time of the
/// C# decode + NMS alone on the same scenes' raw outputs (best of 5 passes), to set beside the Python figure.
/// </summary>
internal sealed class DetectorEval(TextWriter output)
{
    public int Run(string dir, string modelPath, string detectorPath, double minAccuracy)
    {
        var index = Path.Combine(dir, "scenes.json");
        if (!File.Exists(index))
        {
            throw new Gpt4RoIException(ErrorCode.NotFound, $"{index} not found; write it with: python3 -m gpt4roi_ref.evaluate_detector --dump {dir}");
        }

        using var doc = JsonDocument.Parse(File.ReadAllBytes(index));
        var root = doc.RootElement;
        var question = root.GetProperty("question").GetString()!;
        using var engine = new Gpt4RoIEngine(new EngineOptions { ModelPath = modelPath, MaxConcurrency = 1 });
        using var detector = new Detector(new DetectorOptions { Path = detectorPath });
        var describe = new DescribeService(engine, detector, ImageLimits.Default, QueryAdmission.Unbounded);
        var settings = detector.DefaultSettings;
        int objects = 0, detections = 0, tpAny = 0, tpClass = 0, answered = 0, right = 0, unmatched = 0;
        int sameDetections = 0, scenes = 0, refAnswers = 0, sameAnswers = 0;
        double worstBox = 0;
        var outputs = new List<(float[] Raw, LetterboxGeometry Geometry)>();
        var sw = Stopwatch.StartNew();
        foreach (var scene in root.GetProperty("scenes").EnumerateArray())
        {
            scenes++;
            var name = scene.GetProperty("image").GetString()!;
            var truth = scene.GetProperty("objects").EnumerateArray()
                .Select(o => (Box: Box(o.GetProperty("box")), Kind: o.GetProperty("kind").GetString()!, Colour: o.GetProperty("colour").GetString()!)).ToList();
            using var image = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(dir, name)), name, ImageLimits.Default);
            var result = describe.Describe(image, question, GenerationOptions.Greedy);
            var dets = result.Objects;
            objects += truth.Count;
            detections += dets.Count;
            var anyMatch = Match(dets.Select(d => (d.Box, d.Label)).ToList(), truth.Select(t => (t.Box, t.Kind)).ToList(), sameClass: false);
            var classMatch = Match(dets.Select(d => (d.Box, d.Label)).ToList(), truth.Select(t => (t.Box, t.Kind)).ToList(), sameClass: true);
            tpAny += anyMatch.Count(m => m is not null);
            tpClass += classMatch.Count(m => m is not null);
            unmatched += anyMatch.Count(m => m is null);
            for (var k = 0; k < dets.Count; k++)
            {
                if (anyMatch[k] is not { } m)
                {
                    continue;
                }

                answered++;
                var expected = $"a {truth[m].Colour} {truth[m].Kind}";
                right += string.Equals(dets[k].Answer?.Trim(), expected, StringComparison.OrdinalIgnoreCase) ? 1 : 0;
            }

            // Against the reference: the same detections (count and labels, in any order: near-equal scores may swap
            // between ONNX Runtime and torch), each paired with the reference's detection of its label it overlaps
            // most; then the pairs' box differences and answers.
            var reference = scene.GetProperty("detections").EnumerateArray().ToList();
            if (reference.Count == dets.Count &&
                reference.Select(r => r.GetProperty("class_name").GetString()).Order(StringComparer.Ordinal)
                    .SequenceEqual(dets.Select(d => d.Label).Order(StringComparer.Ordinal)))
            {
                sameDetections++;
                foreach (var d in dets)
                {
                    var r = reference.Where(x => x.GetProperty("class_name").GetString() == d.Label)
                        .MaxBy(x => Iou(Box(x.GetProperty("box")), d.Box));
                    var rb = Box(r.GetProperty("box"));
                    worstBox = Math.Max(worstBox, rb.Zip(d.Box).Max(p => Math.Abs(p.First - p.Second)));
                    if (r.TryGetProperty("reference_answer", out var ra) && ra.ValueKind == JsonValueKind.String)
                    {
                        refAnswers++;
                        sameAnswers += ra.GetString() == d.Answer ? 1 : 0;
                    }
                }
            }

            var raw = detector.RawOutput(image.Image, out var g);
            outputs.Add((raw, g));
        }

        var wall = sw.Elapsed.TotalSeconds;
        var classes = detector.Manifest.ClassNames.Length;
        var anchors = outputs.Count == 0 ? 0 : outputs[0].Raw.Length / (4 + classes);
        var best = double.MaxValue;
        for (var pass = 0; pass < 6; pass++)
        {
            var t = Stopwatch.StartNew();
            foreach (var (raw, g) in outputs)
            {
                DetectionDecoder.DecodeYolo(raw, classes, anchors, g, settings, detector.Manifest.ClassNames);
            }

            if (pass > 0)
            {
                best = Math.Min(best, t.Elapsed.TotalMilliseconds / Math.Max(1, outputs.Count));   // pass 0 warms up
            }
        }

        var inv = CultureInfo.InvariantCulture;
        var accuracy = (double)right / Math.Max(1, answered);
        output.WriteLine(string.Format(inv, "detector-eval: {0} scenes from {1}, detector {2} (score > {3}, NMS IoU > {4}), model {5}, on {6}; {7:0} s",
            scenes, dir, detector.ModelId, settings.ScoreThreshold, settings.NmsIouThreshold, engine.ModelId, engine.ExecutionProvider, wall));
        output.WriteLine(string.Format(inv, "  IoU >= 0.5    objects {0}  boxes {1}  any class: matched {2}, recall {3:0.00}%, precision {4:0.00}%",
            objects, detections, tpAny, 100.0 * tpAny / Math.Max(1, objects), 100.0 * tpAny / Math.Max(1, detections)));
        output.WriteLine(string.Format(inv, "                right class: matched {0}, recall {1:0.00}%, precision {2:0.00}%",
            tpClass, 100.0 * tpClass / Math.Max(1, objects), 100.0 * tpClass / Math.Max(1, detections)));
        output.WriteLine(string.Format(inv, "  GPT4RoI \"{0}\" per detected box: {1}/{2} = {3:0.00}% answers right ({4} boxes matched no object, not scored); end to end {1}/{5} = {6:0.00}% of objects found and described right",
            question, right, answered, 100 * accuracy, unmatched, objects, 100.0 * right / Math.Max(1, objects)));
        output.WriteLine(string.Format(inv, "  against the reference: {0}/{1} scenes with the same detections (paired by label and overlap: max box difference {2:E2} px); answers equal {3}/{4}",
            sameDetections, scenes, worstBox, sameAnswers, refAnswers));
        output.WriteLine(string.Format(inv, "  decode + NMS (C#, DetectionDecoder.DecodeYolo) on the {0} scenes' raw outputs: {1:0.000} ms/scene (best of 5 passes)",
            outputs.Count, best));
        output.WriteLine(string.Format(inv, "  answers right {0:0.00}% (required {1:0.00}%)", 100 * accuracy, 100 * minAccuracy));
        return accuracy >= minAccuracy ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static double[] Box(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetDouble())];

    /// <summary>Greedy matching in the detections' order (score descending): each takes the unmatched object with the
    /// highest IoU ≥ 0.5 (of its class when <paramref name="sameClass"/>), as <c>evaluate_detector.match</c>.</summary>
    private static List<int?> Match(List<(double[] Box, string Label)> dets, List<(double[] Box, string Kind)> objects, bool sameClass)
    {
        var used = new HashSet<int>();
        var result = new List<int?>();
        foreach (var d in dets)
        {
            int? best = null;
            var bestIou = 0.5;
            for (var j = 0; j < objects.Count; j++)
            {
                if (used.Contains(j) || (sameClass && objects[j].Kind != d.Label))
                {
                    continue;
                }

                var v = Iou(d.Box, objects[j].Box);
                if (v >= bestIou)
                {
                    (best, bestIou) = (j, v);
                }
            }

            if (best is { } b)
            {
                used.Add(b);
            }

            result.Add(best);
        }

        return result;
    }

    private static double Iou(double[] a, double[] b)
    {
        var iw = Math.Max(0.0, Math.Min(a[2], b[2]) - Math.Max(a[0], b[0]));
        var ih = Math.Max(0.0, Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]));
        var inter = iw * ih;
        var union = ((a[2] - a[0]) * (a[3] - a[1])) + ((b[2] - b[0]) * (b[3] - b[1])) - inter;
        return union > 0 ? inter / union : 0.0;
    }
}
