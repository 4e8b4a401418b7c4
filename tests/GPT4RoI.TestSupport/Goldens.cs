using System.Text.Json;
using GPT4RoI.ModelTools.Tensors;

namespace GPT4RoI.TestSupport;

/// <summary>The tiny model's golden cases (models/tiny/golden): names, case descriptions and reference tensors.</summary>
public static class Goldens
{
    /// <summary>Every case named in golden/index.json.</summary>
    public static IReadOnlyList<string> Names()
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.GoldenDir, "index.json")));
        return [.. index.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetString()!)];
    }

    /// <summary>Every case named in golden/index.json, as xunit theory data.</summary>
    public static TheoryData<string> Cases() => [.. Names()];

    /// <summary>The <c>name</c> of every case in a golden file holding a JSON array of cases, as theory data.</summary>
    public static TheoryData<string> CaseNames(string goldenFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(goldenFile));
        var data = new TheoryData<string>();
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()!);
        }

        return data;
    }

    /// <summary>The folder of a case.</summary>
    public static string CaseDir(string name) => Path.Combine(RepoPaths.GoldenDir, name);

    /// <summary>A case's case.json.</summary>
    public static JsonElement ReadCase(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(CaseDir(name), "case.json")));
        return doc.RootElement.Clone();
    }

    /// <summary>A case's reference tensors.</summary>
    public static TensorBundle Tensors(string name) => TensorBundle.Load(Path.Combine(CaseDir(name), "tensors.json"));
}
