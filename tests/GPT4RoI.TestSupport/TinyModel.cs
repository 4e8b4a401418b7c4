using GPT4RoI.Core.Models;
using GPT4RoI.Core.Text;

namespace GPT4RoI.TestSupport;

/// <summary>The shipped tiny model's folder, manifest and prompt template (read once).</summary>
public static class TinyModel
{
    private static readonly Lazy<ModelManifest> LazyManifest = new(() => ModelManifest.Load(System.IO.Path.Combine(Path, "manifest.json")));
    private static readonly Lazy<PromptTemplate> LazyTemplate = new(() => PromptTemplate.FromManifest(Manifest));

    /// <summary>The model folder in the repository.</summary>
    public static string Path => System.IO.Path.Combine(RepoPaths.Root, ModelFolder.DefaultRelativePath);

    /// <summary>Its validated manifest.</summary>
    public static ModelManifest Manifest => LazyManifest.Value;

    /// <summary>Its prompt template.</summary>
    public static PromptTemplate Template => LazyTemplate.Value;
}
