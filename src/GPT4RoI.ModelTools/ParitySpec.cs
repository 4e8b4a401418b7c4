using System.Text.Json;

namespace GPT4RoI.ModelTools;

/// <summary>One <c>*.parity.json</c> manifest, with its paths resolved against the manifest's folder.</summary>
public sealed record ParitySpec(string SpecPath, string Graph, string ModelPath, string InputsPath, string OutputsPath, double Tolerance)
{
    /// <summary>Reads and validates a parity manifest.</summary>
    /// <exception cref="ParityInputException">The manifest is missing, malformed or incomplete.</exception>
    public static ParitySpec Load(string specPath)
    {
        var fullPath = Path.GetFullPath(specPath);
        if (!File.Exists(fullPath))
        {
            throw new ParityInputException($"parity file '{fullPath}' not found.");
        }

        var folder = Path.GetDirectoryName(fullPath) ?? ".";
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(fullPath));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ParityInputException($"parity file '{fullPath}': top level must be a JSON object.");
            }

            string Str(string key)
            {
                if (!root.TryGetProperty(key, out var el) || el.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(el.GetString()))
                {
                    throw new ParityInputException($"parity file '{fullPath}': missing \"{key}\" string.");
                }

                return el.GetString()!;
            }

            if (!root.TryGetProperty("tolerance", out var tolEl) || tolEl.ValueKind != JsonValueKind.Number
                || !tolEl.TryGetDouble(out var tolerance) || tolerance < 0 || double.IsNaN(tolerance))
            {
                throw new ParityInputException($"parity file '{fullPath}': missing or invalid \"tolerance\" (a non-negative number).");
            }

            return new ParitySpec(
                fullPath,
                Str("graph"),
                Path.GetFullPath(Path.Combine(folder, Str("model"))),
                Path.GetFullPath(Path.Combine(folder, Str("inputs"))),
                Path.GetFullPath(Path.Combine(folder, Str("outputs"))),
                tolerance);
        }
        catch (JsonException ex)
        {
            throw new ParityInputException($"parity file '{fullPath}' is not valid JSON: {ex.Message}", ex);
        }
    }
}
