using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GPT4RoI.ModelTools.Tensors;

/// <summary>Writes tensors in the format read by <see cref="TensorBundle"/> (JSON manifest plus one raw <c>.bin</c> per tensor).</summary>
public static class TensorBundleWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="jsonPath"/>; data files go next to it, named after the
    /// manifest and the tensor (<c>{manifest-stem}.{tensor}.bin</c>, unsafe characters replaced by '_').
    /// </summary>
    public static void Write(string jsonPath, IEnumerable<TensorData> tensors, bool includeSha256 = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(jsonPath);
        ArgumentNullException.ThrowIfNull(tensors);
        var fullPath = Path.GetFullPath(jsonPath);
        var folder = Path.GetDirectoryName(fullPath) ?? ".";
        Directory.CreateDirectory(folder);
        var stem = Path.GetFileName(fullPath);
        if (stem.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            stem = stem[..^".json".Length];
        }

        var usedFiles = new HashSet<string>(StringComparer.Ordinal);
        using var stream = File.Create(fullPath);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("tensors");
        foreach (var tensor in tensors)
        {
            var file = $"{stem}.{Sanitize(tensor.Name)}.bin";
            for (var n = 1; !usedFiles.Add(file); n++)
            {
                file = $"{stem}.{Sanitize(tensor.Name)}.{n}.bin";
            }

            var bytes = tensor.AsBytes();
            File.WriteAllBytes(Path.Combine(folder, file), bytes);
            json.WriteStartObject(tensor.Name);
            json.WriteString("dtype", TensorDtypes.ToName(tensor.Dtype));
            json.WriteStartArray("shape");
            foreach (var dim in tensor.Shape)
            {
                json.WriteNumberValue(dim);
            }

            json.WriteEndArray();
            json.WriteString("file", file);
            if (includeSha256)
            {
                json.WriteString("sha256", Convert.ToHexStringLower(SHA256.HashData(bytes)));
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static string Sanitize(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }

        return sb.Length == 0 ? "_" : sb.ToString();
    }
}
