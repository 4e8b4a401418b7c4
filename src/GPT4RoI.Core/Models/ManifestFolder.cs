namespace GPT4RoI.Core.Models;

/// <summary>What a model folder and a detector folder check first: the folder exists and holds a <c>manifest.json</c>.</summary>
internal static class ManifestFolder
{
    /// <summary>Returns the folder's full path and its manifest's path, or throws the error
    /// <paramref name="error"/> makes of a message (e.g. <c>model folder '...' does not exist</c>).</summary>
    public static (string Folder, string ManifestPath) Locate(string path, string kind, Func<string, Exception> error)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            throw error($"{kind} folder '{full}' does not exist");
        }

        var manifestPath = Path.Combine(full, "manifest.json");
        if (!File.Exists(manifestPath))
        {
            throw error($"{kind} folder '{full}' has no manifest.json");
        }

        return (full, manifestPath);
    }
}
