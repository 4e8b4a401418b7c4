namespace GPT4RoI.Fuzz;

/// <summary>Finds the repository (the folder with GPT4RoI.Functions.sln) from the working directory or the program.</summary>
internal static class RepoLayout
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "GPT4RoI.Functions.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("GPT4RoI.Functions.sln not found above the working directory or the program.");
    });

    public static string Root => RootPath.Value;

    public static string CorpusRoot => Path.Combine(Root, "fuzz", "corpus");

    public static string TinyModel => Path.Combine(Root, "models", "tiny");
}
