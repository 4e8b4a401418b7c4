using System.Security.Cryptography;

namespace GPT4RoI.Core.Models;

/// <summary>An exported model folder whose manifest and files have been validated.</summary>
public sealed class ModelFolder
{
    /// <summary>Where the shipped tiny model lives, relative to the program folder (the CLI and the Functions app copy it
    /// there) and to the repository root.</summary>
    public const string DefaultRelativePath = "models/tiny";

    private readonly List<FileStamp> _stamps = [];

    private ModelFolder(string path, ModelManifest manifest, string variant)
    {
        Path = path;
        Manifest = manifest;
        Variant = variant;
    }

    /// <summary>Full path of the folder.</summary>
    public string Path { get; }

    /// <summary>The validated <c>manifest.json</c>.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>The chosen variant (<c>fp32</c> or <c>fp16</c>).</summary>
    public string Variant { get; }

    /// <summary>True when the chosen variant's graphs take and return <c>float16</c> tensors.</summary>
    public bool IsFloat16 => Manifest.Variants[Variant].Dtype == "float16";

    /// <summary>Full path of the chosen variant's ONNX file for <paramref name="graph"/> (<c>vision</c>,
    /// <c>region_head</c> or <c>decoder</c>).</summary>
    public string GraphPath(string graph) => System.IO.Path.Combine(Path, Manifest.Variants[Variant].Graphs[graph]);

    /// <summary>Full path of <paramref name="file"/>, a name relative to the folder.</summary>
    public string FilePath(string file) => System.IO.Path.Combine(Path, file);

    /// <summary>Opens and validates a model folder.</summary>
    /// <exception cref="ModelLoadException">The folder, the manifest, a field or a file is missing or wrong.</exception>
    public static ModelFolder Open(string path, string? variant = null, FileVerification verification = FileVerification.Full)
    {
        var (full, manifestPath) = ManifestFolder.Locate(path, "model", message => new ModelLoadException(message));

        var manifest = ModelManifest.Load(manifestPath);
        var chosen = variant ?? manifest.DefaultVariant;
        if (!manifest.Variants.ContainsKey(chosen))
        {
            throw new ModelLoadException(
                $"{manifestPath}: variant '{chosen}' is not in \"variants\" (has {string.Join(", ", manifest.Variants.Keys)})");
        }

        var folder = new ModelFolder(full, manifest, chosen);
        folder.VerifyFiles(verification);
        return folder;
    }

    private void VerifyFiles(FileVerification verification)
    {
        var needed = new HashSet<string>(Manifest.Variants[Variant].Graphs.Values, StringComparer.Ordinal)
        {
            Manifest.Embeddings.File,
            Manifest.Tokenizer.File,
        };
        foreach (var graph in Manifest.Variants[Variant].Graphs.Values)
        {
            if (Manifest.Files.ContainsKey(graph + ".data"))
            {
                needed.Add(graph + ".data");
            }
        }

        foreach (var file in needed.Order(StringComparer.Ordinal))
        {
            if (!Manifest.Files.TryGetValue(file, out var spec))
            {
                throw new ModelLoadException($"{System.IO.Path.Combine(Path, "manifest.json")}: \"files\" has no entry for '{file}'");
            }

            var p = FilePath(file);
            var info = new FileInfo(p);
            if (!info.Exists)
            {
                throw new ModelLoadException($"model file '{p}' is missing");
            }

            if (info.Length != spec.Bytes)
            {
                throw new ModelLoadException($"model file '{p}' has {info.Length} bytes; the manifest says {spec.Bytes}");
            }

            if (verification == FileVerification.Full)
            {
                using var stream = File.OpenRead(p);
                var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
                if (!string.Equals(hash, spec.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    throw new ModelLoadException($"model file '{p}' has SHA-256 {hash}; the manifest says {spec.Sha256}");
                }
            }

            _stamps.Add(new FileStamp(p, info.Length, info.LastWriteTimeUtc));
        }

        var manifest = new FileInfo(System.IO.Path.Combine(Path, "manifest.json"));
        _stamps.Add(new FileStamp(manifest.FullName, manifest.Length, manifest.LastWriteTimeUtc));
    }

    /// <summary>
    /// Compares the folder's files (the manifest and every file the chosen variant reads) with their size and
    /// modification time when the folder was opened: a few <c>stat</c> calls, no reading. Returns null when nothing
    /// changed, else which file changed and how (missing, truncated or grown, rewritten).
    /// </summary>
    public string? FindChange()
    {
        foreach (var stamp in _stamps)
        {
            var now = new FileInfo(stamp.Path);
            if (!now.Exists)
            {
                return $"model file '{stamp.Path}' is missing";
            }

            if (now.Length != stamp.Bytes)
            {
                return $"model file '{stamp.Path}' has {now.Length} bytes; it had {stamp.Bytes} when the model was loaded";
            }

            if (now.LastWriteTimeUtc != stamp.ModifiedUtc)
            {
                return $"model file '{stamp.Path}' was modified at {now.LastWriteTimeUtc:O}, after the model was loaded (it was {stamp.ModifiedUtc:O})";
            }
        }

        return null;
    }

    /// <summary>Reads the float32 token embedding table [vocab, hidden].</summary>
    public float[] ReadEmbeddings()
    {
        var p = FilePath(Manifest.Embeddings.File);
        var bytes = File.ReadAllBytes(p);
        var expected = (long)Manifest.Embeddings.Shape[0] * Manifest.Embeddings.Shape[1] * sizeof(float);
        if (bytes.LongLength != expected)
        {
            throw new ModelLoadException($"'{p}' has {bytes.LongLength} bytes; shape {Manifest.Embeddings.Shape[0]}x{Manifest.Embeddings.Shape[1]} float32 needs {expected}");
        }

        var table = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, table, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("big-endian hosts are not supported");
        }

        return table;
    }

    private sealed record FileStamp(string Path, long Bytes, DateTime ModifiedUtc);
}
