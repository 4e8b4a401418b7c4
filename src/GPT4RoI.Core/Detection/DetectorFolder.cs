using System.Security.Cryptography;
using GPT4RoI.Core.Models;

namespace GPT4RoI.Core.Detection;

/// <summary>A detector folder whose manifest and graph file have been validated.</summary>
public sealed class DetectorFolder
{
    /// <summary>Where the shipped tiny detector lives, relative to the program folder (the CLI and the Functions app copy
    /// it there) and to the repository root.</summary>
    public const string DefaultRelativePath = "models/tiny-detector";

    private DetectorFolder(string path, DetectorManifest manifest)
    {
        Path = path;
        Manifest = manifest;
    }

    /// <summary>Full path of the folder.</summary>
    public string Path { get; }

    /// <summary>The validated manifest.</summary>
    public DetectorManifest Manifest { get; }

    /// <summary>Full path of the graph.</summary>
    public string GraphPath => System.IO.Path.Combine(Path, Manifest.Graph.File);

    /// <summary>Opens and validates a detector folder: its manifest, and the graph's size (and SHA-256 under
    /// <see cref="FileVerification.Full"/>).</summary>
    /// <exception cref="DetectorException">The folder, the manifest, a field or the graph is missing or wrong.</exception>
    public static DetectorFolder Open(string path, FileVerification verification = FileVerification.Full)
    {
        var (full, manifestPath) = ManifestFolder.Locate(path, "detector", message => new DetectorException(message));

        var manifest = DetectorManifest.Load(manifestPath);
        var folder = new DetectorFolder(full, manifest);
        var spec = manifest.Files[manifest.Graph.File];
        var graph = new FileInfo(folder.GraphPath);
        if (!graph.Exists)
        {
            throw new DetectorException($"detector graph '{graph.FullName}' is missing");
        }

        if (graph.Length != spec.Bytes)
        {
            throw new DetectorException($"detector graph '{graph.FullName}' has {graph.Length} bytes; the manifest says {spec.Bytes}");
        }

        if (verification == FileVerification.Full)
        {
            using var stream = graph.OpenRead();
            var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!string.Equals(hash, spec.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new DetectorException($"detector graph '{graph.FullName}' has SHA-256 {hash}; the manifest says {spec.Sha256}");
            }
        }

        return folder;
    }
}
