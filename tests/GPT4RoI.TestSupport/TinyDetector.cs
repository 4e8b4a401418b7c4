using System.Text.Json;
using GPT4RoI.Core.Detection;
using GPT4RoI.ModelTools.Tensors;

namespace GPT4RoI.TestSupport;

/// <summary>The shipped tiny detector's folder and its goldens (models/tiny-detector).</summary>
public static class TinyDetector
{
    /// <summary>The detector folder in the repository.</summary>
    public static string Path => System.IO.Path.Combine(RepoPaths.Root, DetectorFolder.DefaultRelativePath);

    /// <summary>golden/ of the detector.</summary>
    public static string GoldenDir => System.IO.Path.Combine(Path, "golden");

    /// <summary>The decoded-layout test folders (test/decoded_xyxy, test/decoded_detr).</summary>
    public static string TestFolder(string name) => System.IO.Path.Combine(Path, "test", name);

    /// <summary>Every case named in golden/index.json, as xunit theory data.</summary>
    public static TheoryData<string> Cases()
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(System.IO.Path.Combine(GoldenDir, "index.json")));
        return [.. index.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetString()!)];
    }

    /// <summary>The folder of a case.</summary>
    public static string CaseDir(string name) => System.IO.Path.Combine(GoldenDir, name);

    /// <summary>A case's case.json.</summary>
    public static JsonElement ReadCase(string name) => ReadJson(System.IO.Path.Combine(CaseDir(name), "case.json"));

    /// <summary>A case's tensors (images sampled, output0 whole).</summary>
    public static TensorBundle Tensors(string name) => TensorBundle.Load(System.IO.Path.Combine(CaseDir(name), "tensors.json"));

    /// <summary>A JSON file, parsed and detached.</summary>
    public static JsonElement ReadJson(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    }

    /// <summary>The geometry object of a golden case.</summary>
    public static LetterboxGeometry Geometry(JsonElement g) => new(
        g.GetProperty("width").GetInt32(), g.GetProperty("height").GetInt32(), g.GetProperty("size").GetInt32(),
        g.GetProperty("new_w").GetInt32(), g.GetProperty("new_h").GetInt32(), g.GetProperty("pad_x").GetInt32(), g.GetProperty("pad_y").GetInt32());

    /// <summary>A copy of the detector folder in <paramref name="directory"/> with its manifest changed by <paramref name="edit"/>
    /// (a JSON node edit), for bad-manifest tests.</summary>
    public static string CopyWithManifest(string directory, Action<System.Text.Json.Nodes.JsonObject> edit, string? source = null)
    {
        source ??= Path;
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, System.IO.Path.Combine(directory, System.IO.Path.GetFileName(file)), overwrite: true);
        }

        var manifestPath = System.IO.Path.Combine(directory, "manifest.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        edit(node);
        File.WriteAllText(manifestPath, node.ToJsonString());
        return directory;
    }
}
