using System.Text.Json;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Contracts;

/// <summary>
/// A box manifest: one image and the questions to ask about its regions. The CLI's <c>batch</c> command and
/// the storage pipeline read the same schema (docs/api.md). Each task is a conversation of one or more turns;
/// boxes accumulate across the turns of a task and are numbered <c>&lt;region1&gt;</c>, <c>&lt;region2&gt;</c>, …
/// </summary>
public sealed record BoxManifest
{
    /// <summary>Most tasks one manifest may hold.</summary>
    public const int MaxTasks = 64;

    /// <summary>Most turns one task may hold.</summary>
    public const int MaxTurnsPerTask = 16;

    /// <summary>The image: a path relative to the manifest (CLI) or a blob name in the inbox container.</summary>
    public string Image { get; init; } = "";
    /// <summary>Optional caller id, echoed in the result.</summary>
    public string? RequestId { get; init; }
    /// <summary>The conversations to run, 1 to <see cref="MaxTasks"/>; each is answered on its own (JSON <c>tasks</c>).</summary>
    public List<BoxTask> Tasks { get; init; } = [];

    /// <summary>Decoding settings for every task; greedy with 64 new tokens when absent (JSON <c>generation</c>).</summary>
    public GenerationSettings? Generation { get; init; }

    /// <summary><c>detect</c>: the boxes come from the detector and every detected object is described (no
    /// <see cref="Tasks"/>; the same as <see cref="Detect"/> true) (JSON <c>regions</c>).</summary>
    public string? Regions { get; init; }

    /// <summary>True: the boxes come from the detector (JSON <c>detect</c>); see <see cref="Regions"/>.</summary>
    public bool? Detect { get; init; }

    /// <summary>For a detect manifest: the question asked about each detected object, naming it <c>&lt;region1&gt;</c>
    /// (default: the model's); in a one-turn detection prompt mode, the question after the regions (JSON <c>question</c>).</summary>
    public string? Question { get; init; }

    /// <summary>For a detect manifest: describe only detections scored above this (JSON <c>min_score</c>).</summary>
    public double? MinScore { get; init; }

    /// <summary>True when the manifest asks for detection (<c>"regions": "detect"</c> or <c>"detect": true</c>).</summary>
    public bool IsDetect => Regions == "detect" || Detect == true;

    /// <summary>Parses and validates a manifest.</summary>
    /// <exception cref="ManifestException">Malformed JSON or a field that breaks the schema; the message names it.</exception>
    public static BoxManifest Parse(ReadOnlySpan<byte> json, string source)
    {
        BoxManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<BoxManifest>(json, ContractJson.Options);
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

    /// <summary>Checks the schema rules that JSON binding cannot: image name, task and turn counts, unique task ids,
    /// question or turns, four numbers per region, generation settings. <see cref="Parse"/> calls it.</summary>
    /// <param name="source">The manifest's name, put at the start of error messages.</param>
    /// <exception cref="ManifestException">A rule is broken; the message names the field.</exception>
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

        if (Regions is not null && Regions != "detect")
        {
            throw new ManifestException($"{source}: \"regions\" at the top of a manifest can only be \"detect\" (boxes go in tasks)");
        }

        if (Regions == "detect" && Detect == false)
        {
            throw new ManifestException($"{source}: \"regions\": \"detect\" and \"detect\": false contradict each other");
        }

        if (IsDetect)
        {
            ValidateDetect(source);
            return;
        }

        if (Question is not null || MinScore is not null)
        {
            throw new ManifestException($"{source}: \"question\" and \"min_score\" at the top of a manifest need \"regions\": \"detect\" (questions about given boxes go in tasks)");
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
                if (turns[k].Question is null)
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

        if (Generation is not null)
        {
            try
            {
                Generation.ToOptions().Validate(GenerationOptions.MaxNewTokensCeiling);
            }
            catch (Gpt4RoIException ex)
            {
                throw new ManifestException($"{source}: generation: {ex.Message}", ex);
            }
        }
    }

    private void ValidateDetect(string source)
    {
        if (Tasks.Count > 0)
        {
            throw new ManifestException($"{source}: a detect manifest describes the detected objects; it has no \"tasks\"");
        }

        if (Question is not null && string.IsNullOrWhiteSpace(Question))
        {
            throw new ManifestException($"{source}: \"question\" is empty");
        }

        if (MinScore is { } s && (!double.IsFinite(s) || s < 0 || s >= 1))
        {
            throw new ManifestException($"{source}: \"min_score\" must be within [0, 1)");
        }

        if (Generation is not null)
        {
            try
            {
                Generation.ToOptions().Validate(GenerationOptions.MaxNewTokensCeiling);
            }
            catch (Gpt4RoIException ex)
            {
                throw new ManifestException($"{source}: generation: {ex.Message}", ex);
            }
        }
    }
}
