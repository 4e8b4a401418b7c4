using System.Globalization;
using System.Xml.Linq;

namespace GPT4RoI.Fuzz;

/// <summary>Writes fuzzing runs as a JUnit XML test suite: one test case per target, failed when it has findings.</summary>
internal static class JUnitReport
{
    public static void Write(string path, IReadOnlyList<FuzzRunResult> results)
    {
        var failures = results.Count(r => r.Findings.Count > 0);
        var suite = new XElement(
            "testsuite",
            new XAttribute("name", "fuzz"),
            new XAttribute("tests", results.Count),
            new XAttribute("failures", failures),
            new XAttribute("errors", 0),
            new XAttribute("skipped", 0),
            new XAttribute("time", results.Sum(r => r.Elapsed.TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture)),
            results.Select(r => new XElement(
                "testcase",
                new XAttribute("classname", "fuzz"),
                new XAttribute("name", r.Target),
                new XAttribute("time", r.Elapsed.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)),
                new XElement("system-out", r.Summary),
                r.Findings.Count == 0
                    ? null
                    : new XElement(
                        "failure",
                        new XAttribute("message", string.Join("; ", r.Findings.Select(f => $"{f.Kind}: {f.Signature}"))),
                        string.Join("\n\n", r.Findings.Select(f => $"{f.Kind} {f.Signature} (input {f.InputPath ?? "not saved"})\n{f.Detail}"))))));
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        new XDocument(suite).Save(full);
    }
}
