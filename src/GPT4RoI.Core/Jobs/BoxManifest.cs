using System.Text.Json;
using System.Text.Json.Serialization;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Jobs;

/// <summary>
/// A box manifest: one image and the questions to ask about its regions. The CLI's <c>batch</c> command and
/// the storage pipeline read the same schema (docs/api.md). Each task is a conversation of one or more turns;
/// boxes accumulate across the turns of a task and are numbered <c>&lt;region1&gt;</c>, <c>&lt;region2&gt;</c>, …
/// </summary>
public sealed record BoxManifest
{
    public const int MaxTasks = 64;
    public const int MaxTurnsPerTask = 16;

    /// <summary>The image: a path relative to the manifest (CLI) or a blob name in the inbox container.</summary>
    public string Image { get; init; } = "";
    /// <summary>Optional caller id, echoed in the result.</summary>
    public string? RequestId { get; init; }
    public List<BoxTask> Tasks { get; init; } = [];
    public GenerationSettings? Generation { get; init; }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        // Results are files and API bodies, not HTML: keep '<region1>' readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Parses and validates a manifest.</summary>
    /// <exception cref="ManifestException">Malformed JSON or a field that breaks the schema; the message names it.</exception>
    public static BoxManifest Parse(ReadOnlySpan<byte> json, string source)
    {
        BoxManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<BoxManifest>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new ManifestException($"{source}: not a valid box manifest: {ex.Message}", ex);
        }

        if (m is null)
        {
            throw new ManifestException($"{source}: the manifest is empty (null)");
        }

        m.Validate(source);
        return m;
    }

    public void Validate(string source)
    {
        if (string.IsNullOrWhiteSpace(Image))
        {
            throw new ManifestException($"{source}: \"image\" is missing");
        }

        if (Image.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(Image) || Image.Contains('\\', StringComparison.Ordinal))
        {
            throw new ManifestException($"{source}: \"image\" must be a relative name without '..' or '\\' (got '{Image}')");
        }

        if (Tasks.Count == 0)
        {
            throw new ManifestException($"{source}: \"tasks\" is empty");
        }

        if (Tasks.Count > MaxTasks)
        {
            throw new ManifestException($"{source}: {Tasks.Count} tasks; the limit is {MaxTasks}");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Tasks.Count; i++)
        {
            var t = Tasks[i];
            var where = $"{source}: tasks[{i}]";
            if (t.Id is { } id && !ids.Add(id))
            {
                throw new ManifestException($"{where}: duplicate id '{id}'");
            }

            var turns = t.AllTurns();
            if (turns.Count == 0)
            {
                throw new ManifestException($"{where}: needs \"question\" (+ \"regions\") or \"turns\"");
            }

            if (t.Question is not null && t.Turns is { Count: > 0 })
            {
                throw new ManifestException($"{where}: give either \"question\" or \"turns\", not both");
            }

            if (turns.Count > MaxTurnsPerTask)
            {
                throw new ManifestException($"{where}: {turns.Count} turns; the limit is {MaxTurnsPerTask}");
            }

            for (var k = 0; k < turns.Count; k++)
            {
                if (string.IsNullOrWhiteSpace(turns[k].Question))
                {
                    throw new ManifestException($"{where}.turns[{k}]: \"question\" is missing");
                }

                foreach (var r in turns[k].Regions ?? [])
                {
                    if (r is null || r.Length != 4)
                    {
                        throw new ManifestException($"{where}.turns[{k}]: every region must be [x1, y1, x2, y2] in pixels");
                    }
                }
            }
        }

        Generation?.Validate($"{source}: generation");
    }
}

public sealed record BoxTask
{
    public string? Id { get; init; }
    /// <summary>Shorthand for a one-turn task.</summary>
    public string? Question { get; init; }
    public List<double[]>? Regions { get; init; }
    public List<BoxTurn>? Turns { get; init; }

    public IReadOnlyList<BoxTurn> AllTurns() =>
        Turns is { Count: > 0 } ? Turns : Question is null ? [] : [new BoxTurn { Question = Question, Regions = Regions }];
}

public sealed record BoxTurn
{
    public string Question { get; init; } = "";
    /// <summary>New boxes this turn introduces, pixel xyxy in the (EXIF-oriented) image.</summary>
    public List<double[]>? Regions { get; init; }

    public IReadOnlyList<BoundingBox> Boxes() =>
        (Regions ?? []).Select(r => new BoundingBox(r[0], r[1], r[2], r[3])).ToList();
}

public sealed record GenerationSettings
{
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? Seed { get; init; }
    public int? MaxNewTokens { get; init; }

    public GenerationOptions ToOptions() => new()
    {
        Temperature = Temperature ?? 0f,
        TopP = TopP ?? 1f,
        Seed = Seed,
        MaxNewTokens = MaxNewTokens ?? 64,
    };

    public void Validate(string where)
    {
        try
        {
            ToOptions().Validate(8192);
        }
        catch (ArgumentException ex)
        {
            throw new ManifestException($"{where}: {ex.Message}", ex);
        }
    }
}

/// <summary>A box manifest that breaks the schema.</summary>
public sealed class ManifestException : Exception
{
    public ManifestException() { }
    public ManifestException(string message) : base(message) { }
    public ManifestException(string message, Exception inner) : base(message, inner) { }
}
