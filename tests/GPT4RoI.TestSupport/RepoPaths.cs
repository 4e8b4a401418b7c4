namespace GPT4RoI.TestSupport;

/// <summary>Locates the repository root (the folder with GPT4RoI.Functions.sln) from the test binaries.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GPT4RoI.Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"GPT4RoI.Functions.sln not found above {AppContext.BaseDirectory}.");
    });

    public static string Root => RootPath.Value;

    public static string GoldenDir => Path.Combine(TinyModel.Path, "golden");

    /// <summary>The committed sample image (samples/shapes.png).</summary>
    public static string SampleImage => Path.Combine(Root, "samples", "shapes.png");

    public static string ManifestPath => Path.Combine(TinyModel.Path, "manifest.json");
}
