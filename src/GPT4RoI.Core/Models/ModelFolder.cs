using System.Security.Cryptography;
using System.Text.Json;

namespace GPT4RoI.Core.Models;

/// <summary>How much of each file to check when a model folder is opened.</summary>
public enum FileVerification
{
    /// <summary>Size and SHA-256 of every file (seconds per GB).</summary>
    Full,
    /// <summary>Size only: for large models on slow mounts, after a first full check.</summary>
    SizeOnly,
}

/// <summary>An exported model folder whose manifest and files have been validated.</summary>
public sealed class ModelFolder
{
    private static readonly string[] GraphNames = ["vision", "region_head", "decoder"];

    private ModelFolder(string path, ModelManifest manifest, string variant)
    {
        Path = path;
        Manifest = manifest;
        Variant = variant;
    }

    public string Path { get; }
    public ModelManifest Manifest { get; }
    /// <summary>The chosen variant (<c>fp32</c> or <c>fp16</c>).</summary>
    public string Variant { get; }
    public bool IsFloat16 => Manifest.Variants[Variant].Dtype == "float16";

    public string GraphPath(string graph) => System.IO.Path.Combine(Path, Manifest.Variants[Variant].Graphs[graph]);
    public string FilePath(string file) => System.IO.Path.Combine(Path, file);

    /// <summary>Opens and validates a model folder.</summary>
    /// <exception cref="ModelLoadException">The folder, the manifest, a field or a file is missing or wrong.</exception>
    public static ModelFolder Open(string path, string? variant = null, FileVerification verification = FileVerification.Full)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            throw new ModelLoadException($"model folder '{full}' does not exist");
        }

        var manifestPath = System.IO.Path.Combine(full, "manifest.json");
        if (!File.Exists(manifestPath))
        {
            throw new ModelLoadException($"model folder '{full}' has no manifest.json");
        }

        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllBytes(manifestPath), ModelManifest.JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException($"{manifestPath}: {ex.Message}", ex);
        }

        if (manifest is null)
        {
            throw new ModelLoadException($"{manifestPath}: empty manifest");
        }

        Validate(manifest, manifestPath);
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

    private static void Validate(ModelManifest m, string where)
    {
        if (m.Format != "gpt4roi-onnx")
        {
            throw new ModelLoadException($"{where}: \"format\" is '{m.Format}', expected 'gpt4roi-onnx'");
        }

        if (m.FormatVersion != ModelManifest.SupportedFormatVersion)
        {
            throw new ModelLoadException(
                $"{where}: \"format_version\" {m.FormatVersion} is not supported (this build reads {ModelManifest.SupportedFormatVersion})");
        }

        var d = m.Dims;
        Require(d.NumLevels > 0 && d.FeatureMapSizes.Length == d.NumLevels && d.FeatureStrides.Length == d.NumLevels,
            where, "dims.feature_map_sizes/feature_strides must have num_levels entries");
        Require(d.Hidden == d.Heads * d.HeadDim, where, "dims.hidden must equal heads * head_dim");
        Require(d.NumPatches == (d.ImageSize / d.PatchSize) * (d.ImageSize / d.PatchSize), where, "dims.num_patches does not match image_size/patch_size");
        Require(d.RoiAligned && d.RoiPool == "avg", where, "only aligned average RoIAlign is supported (dims.roi_aligned, dims.roi_pool)");
        Require(m.Preprocess.Mean.Length == 3 && m.Preprocess.Std.Length == 3 && m.Preprocess.Std.All(s => s > 0),
            where, "preprocess.mean/std must have 3 values, std > 0");
        Require(m.Preprocess.Resize.Length == 2 && m.Preprocess.Resize[0] == d.ImageSize && m.Preprocess.Resize[1] == d.ImageSize,
            where, "preprocess.resize must be [image_size, image_size]");
        Require(m.Embeddings.Shape.Length == 2 && m.Embeddings.Shape[0] == d.VocabSize && m.Embeddings.Shape[1] == d.Hidden,
            where, "embeddings.shape must be [vocab_size, hidden]");
        Require(m.Embeddings.Dtype == "float32", where, "embeddings.dtype must be float32");
        Require(m.Prompt.StopStrings.Length > 0, where, "prompt.stop_strings is empty");
        foreach (var token in new[] { "<im_patch>", "<im_start>", "<im_end>", "<bbox>" })
        {
            Require(m.Tokenizer.AddedTokens.ContainsKey(token), where, $"tokenizer.added_tokens lacks {token}");
        }

        foreach (var g in GraphNames)
        {
            Require(m.Graphs.ContainsKey(g), where, $"graphs.{g} is missing");
            foreach (var (name, v) in m.Variants)
            {
                Require(v.Graphs.ContainsKey(g), where, $"variants.{name}.graphs.{g} is missing");
            }
        }

        Require(m.Graphs["decoder"].Inputs.Length == 3 + 2 * d.Layers, where, "graphs.decoder.inputs must list 3 + 2*layers names");
        Require(m.Graphs["decoder"].Outputs.Length == 1 + 2 * d.Layers, where, "graphs.decoder.outputs must list 1 + 2*layers names");
        Require(m.Graphs["vision"].Outputs.Length == 1 + d.NumLevels, where, "graphs.vision.outputs must list image tokens + num_levels maps");
    }

    private static void Require(bool ok, string where, string message)
    {
        if (!ok)
        {
            throw new ModelLoadException($"{where}: {message}");
        }
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
        }
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
}
