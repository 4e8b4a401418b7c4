using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.ModelTools;

/// <summary>
/// Answers the shapes-task cases that <c>python3 -m gpt4roi_ref.evaluate --dump DIR</c> wrote, through the C#
/// pipeline, and prints how often the C# answer equals the PyTorch reference's and the accuracy per kind.
/// </summary>
internal sealed class ShapesEval(TextWriter output)
{
    public int Run(string dir, string modelPath, double minAgreement)
    {
        var index = Path.Combine(dir, "cases.json");
        if (!File.Exists(index))
        {
            throw new Gpt4RoIException(ErrorCode.NotFound, $"{index} not found; write it with: python3 -m gpt4roi_ref.evaluate --dump {dir}");
        }

        using var doc = JsonDocument.Parse(File.ReadAllBytes(index));
        using var engine = new Gpt4RoIEngine(new EngineOptions { ModelPath = modelPath, MaxConcurrency = 1 });
        var kinds = new SortedDictionary<string, (int Correct, int Agree, int Total)>(StringComparer.Ordinal);
        int convTotal = 0, convCorrect = 0, turnsTotal = 0, turnsAgree = 0;
        var sw = Stopwatch.StartNew();
        var disagreements = new List<string>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var name = c.GetProperty("image").GetString()!;
            using var image = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(dir, name)), name, ImageLimits.Default);
            using var session = engine.StartSession(image);
            var allCorrect = true;
            foreach (var t in c.GetProperty("turns").EnumerateArray())
            {
                var boxes = t.GetProperty("regions").EnumerateArray()
                    .Select(r => new BoundingBox(r[0].GetDouble(), r[1].GetDouble(), r[2].GetDouble(), r[3].GetDouble())).ToList();
                var answer = session.Ask(t.GetProperty("question").GetString()!, boxes).Answer;
                var kind = t.GetProperty("kind").GetString()!;
                var expected = t.GetProperty("expected").GetString()!;
                var reference = t.GetProperty("reference").GetString()!;
                var correct = string.Equals(answer.Trim(), expected.Trim(), StringComparison.OrdinalIgnoreCase);
                var agree = answer == reference;
                var k = kinds.GetValueOrDefault(kind);
                kinds[kind] = (k.Correct + (correct ? 1 : 0), k.Agree + (agree ? 1 : 0), k.Total + 1);
                turnsTotal++;
                turnsAgree += agree ? 1 : 0;
                allCorrect &= correct;
                if (!agree)
                {
                    disagreements.Add($"{name} '{t.GetProperty("question").GetString()}': C# '{answer}', reference '{reference}'");
                }
            }

            convTotal++;
            convCorrect += allCorrect ? 1 : 0;
        }

        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Format(inv, "shapes-eval: {0} conversations, {1} turns, {2:0.0} s, model {3} on {4}",
            convTotal, turnsTotal, sw.Elapsed.TotalSeconds, engine.ModelId, engine.ExecutionProvider));
        foreach (var (kind, v) in kinds)
        {
            output.WriteLine(string.Format(inv, "  {0,-9} accuracy {1,4}/{2,-4} {3,7:0.00}%   equal to reference {4,4}/{2,-4} {5,7:0.00}%",
                kind, v.Correct, v.Total, 100.0 * v.Correct / v.Total, v.Agree, 100.0 * v.Agree / v.Total));
        }

        output.WriteLine(string.Format(inv, "  {0,-9} accuracy {1,4}/{2,-4} {3,7:0.00}%", "3-turn", convCorrect, convTotal, 100.0 * convCorrect / Math.Max(1, convTotal)));
        var agreement = (double)turnsAgree / Math.Max(1, turnsTotal);
        output.WriteLine(string.Format(inv, "  C# answers equal to the reference: {0}/{1} = {2:0.00}% (required {3:0.00}%)",
            turnsAgree, turnsTotal, 100 * agreement, 100 * minAgreement));
        foreach (var d in disagreements.Take(20))
        {
            output.WriteLine("  differs: " + d);
        }

        return agreement >= minAgreement ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
