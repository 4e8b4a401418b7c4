using System.Security.Cryptography;
using System.Text.Json;

namespace GPT4RoI.ModelTools.Tensors;

/// <summary>
/// Reads a tensor bundle: a JSON manifest whose <c>"tensors"</c> object maps a tensor name to
/// <c>{ "dtype": "float32"|"float16"|"int64"|"int32"|"uint8", "shape": [ints], "file": "relative/path.bin", "sha256": "optional lowercase hex" }</c>.
/// Each <c>.bin</c> file holds raw little-endian values in C (row-major) order; its path is relative to the
/// folder of the JSON file. When <c>sha256</c> is present the file's digest is verified on load.
/// </summary>
public sealed class TensorBundle
{
    private readonly Dictionary<string, TensorData> _tensors;

    private TensorBundle(string path, Dictionary<string, TensorData> tensors)
    {
        Path = path;
        _tensors = tensors;
    }

    /// <summary>Full path of the JSON manifest this bundle was loaded from.</summary>
    public string Path { get; }

    /// <summary>Tensor names, in manifest order.</summary>
    public IReadOnlyCollection<string> Names => _tensors.Keys;

    /// <summary>Whether the bundle has a tensor with the given name.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>Gets a tensor by name.</summary>
    /// <exception cref="KeyNotFoundException">The bundle has no tensor with that name.</exception>
    public TensorData Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_tensors.TryGetValue(name, out var tensor))
        {
            return tensor;
        }

        throw new KeyNotFoundException(
            $"Tensor bundle '{Path}' has no tensor '{name}' (has: {string.Join(", ", _tensors.Keys)}).");
    }

    /// <summary>Loads a bundle and all of its tensor data.</summary>
    /// <exception cref="FileNotFoundException">The manifest or a tensor's data file is missing.</exception>
    /// <exception cref="InvalidDataException">The manifest is malformed, or a data file's size or digest does not match.</exception>
    public static TensorBundle Load(string jsonPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(jsonPath);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("tensor bundles are little-endian; big-endian hosts are not supported");
        }

        var fullPath = System.IO.Path.GetFullPath(jsonPath);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"Tensor bundle manifest '{fullPath}' not found.", fullPath);
        }

        var folder = System.IO.Path.GetDirectoryName(fullPath) ?? ".";
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(fullPath));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Tensor bundle manifest '{fullPath}' is not valid JSON: {ex.Message}", ex);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("tensors", out var tensorsElement)
                || tensorsElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"Tensor bundle manifest '{fullPath}' has no \"tensors\" object.");
            }

            var tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
            foreach (var entry in tensorsElement.EnumerateObject())
            {
                tensors[entry.Name] = LoadTensor(fullPath, folder, entry.Name, entry.Value);
            }

            return new TensorBundle(fullPath, tensors);
        }
    }

    private static TensorData LoadTensor(string manifestPath, string folder, string name, JsonElement spec)
    {
        string Where() => $"tensor '{name}' in bundle '{manifestPath}'";

        if (spec.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{Where()}: entry must be an object.");
        }

        var dtypeText = GetString(spec, "dtype", Where);
        if (!TensorDtypes.TryParse(dtypeText, out var dtype))
        {
            throw new InvalidDataException(
                $"{Where()}: unsupported dtype '{dtypeText}' (expected float32, float16, int64, int32 or uint8).");
        }

        if (!spec.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{Where()}: missing \"shape\" array.");
        }

        var shape = new List<long>();
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var value) || value < 0)
            {
                throw new InvalidDataException($"{Where()}: shape entries must be non-negative integers.");
            }

            shape.Add(value);
        }

        var relative = GetString(spec, "file", Where);
        var dataPath = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, relative));
        if (!File.Exists(dataPath))
        {
            throw new FileNotFoundException($"{Where()}: data file '{dataPath}' not found.", dataPath);
        }

        long elementCount = 1;
        foreach (var dim in shape)
        {
            elementCount = checked(elementCount * dim);
        }

        var expectedBytes = checked(elementCount * TensorDtypes.SizeOf(dtype));
        var actualBytes = new FileInfo(dataPath).Length;
        if (actualBytes != expectedBytes)
        {
            throw new InvalidDataException(
                $"{Where()}: data file '{dataPath}' has {actualBytes} bytes but shape [{string.Join(",", shape)}] " +
                $"of {TensorDtypes.ToName(dtype)} needs {expectedBytes} bytes.");
        }

        if (expectedBytes > Array.MaxLength)
        {
            throw new InvalidDataException($"{Where()}: data file '{dataPath}' is too large ({expectedBytes} bytes).");
        }

        var bytes = File.ReadAllBytes(dataPath);

        if (spec.TryGetProperty("sha256", out var shaElement) && shaElement.ValueKind != JsonValueKind.Null)
        {
            if (shaElement.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"{Where()}: \"sha256\" must be a string.");
            }

            var expected = shaElement.GetString()!.Trim();
            var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (!string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException(
                    $"{Where()}: sha256 mismatch for data file '{dataPath}': manifest says {expected}, file is {actual}.");
            }
        }

        return new TensorData(name, dtype, shape.ToArray(), bytes);
    }

    private static string GetString(JsonElement spec, string property, Func<string> where)
    {
        if (!spec.TryGetProperty(property, out var element) || element.ValueKind != JsonValueKind.String
            || string.IsNullOrEmpty(element.GetString()))
        {
            throw new InvalidDataException($"{where()}: missing \"{property}\" string.");
        }

        return element.GetString()!;
    }
}
