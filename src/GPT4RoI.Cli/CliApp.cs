using System.Diagnostics;
using System.Text.Json;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Jobs;
using GPT4RoI.Core.Models;
using GPT4RoI.Core.Text;
using Microsoft.Extensions.Logging;

namespace GPT4RoI.Cli;

/// <summary>The <c>gpt4roi</c> command line: ask, chat, batch.</summary>
internal static class CliApp
{
    public const string Usage = """
        gpt4roi: ask GPT4RoI about regions of an image

        usage:
          gpt4roi ask IMAGE --region x1,y1,x2,y2 [--region ...] "What is <region1>?"
          gpt4roi chat IMAGE              interactive; /region x1,y1,x2,y2 adds a box for the next question,
                                          /regions lists them, /quit ends
          gpt4roi batch MANIFEST|DIR... --out DIR
                                          box manifests (docs/api.md); a DIR means every *.json in it

        options:
          --model DIR          model folder (default: the shipped tiny model)
          --variant fp32|fp16  model variant (default: the manifest's)
          --cpu                use the CPU even when CUDA is available
          --json               machine-readable output
          --temperature T      0 = greedy (default)
          --top-p P            nucleus sampling mass (default 1)
          --seed N             sampling seed
          --max-new-tokens N   default 64
          --verbose            log model loading and timings to stderr

        exit codes: 0 ok, 1 usage, 2 invalid input, 3 model error, 4 batch partly failed, 130 interrupted
        """;

    private static readonly JsonSerializerOptions Json = BoxManifest.JsonOptions;

    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        try
        {
            var cl = CommandLine.Parse(args);
            if (cl.Positional.Count == 0 || cl.Has("--help") || cl.Has("-h"))
            {
                stdout.WriteLine(Usage);
                return cl.Positional.Count == 0 && !cl.Has("--help") && !cl.Has("-h") ? ExitCodes.Usage : ExitCodes.Ok;
            }

            return cl.Positional[0] switch
            {
                "ask" => Ask(cl, stdout, ct),
                "chat" => Chat(cl, stdin, stdout, stderr, ct),
                "batch" => Batch(cl, stdout, stderr, ct),
                var other => throw new UsageException($"unknown command '{other}' (ask, chat, batch)"),
            };
        }
        catch (UsageException ex)
        {
            stderr.WriteLine($"error: {ex.Message}");
            stderr.WriteLine("run 'gpt4roi --help' for usage");
            return ExitCodes.Usage;
        }
        catch (ModelLoadException ex)
        {
            stderr.WriteLine($"model error: {ex.Message}");
            return ExitCodes.ModelError;
        }
        catch (Exception ex) when (IsInputError(ex))
        {
            stderr.WriteLine($"invalid input: {ex.Message}");
            return ExitCodes.InvalidInput;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("interrupted");
            return ExitCodes.Cancelled;
        }
    }

    internal static bool IsInputError(Exception ex) =>
        ex is ImageInputException or RegionInputException or PromptException or ManifestException or InputFileException;

    private static int Ask(CommandLine cl, TextWriter stdout, CancellationToken ct)
    {
        if (cl.Positional.Count != 3)
        {
            throw new UsageException("ask needs IMAGE and one question: gpt4roi ask IMAGE --region x1,y1,x2,y2 \"What is <region1>?\"");
        }

        var imagePath = cl.Positional[1];
        var question = cl.Positional[2];
        var boxes = cl.All("--region").Select((s, i) => ParseBox(s, i + 1)).ToList();
        var bytes = ReadInput(imagePath);
        using var engine = CreateEngine(cl);
        using var image = ImageDecoder.Decode(bytes, imagePath, ImageLimits.Default);
        var session = engine.StartSession(image, cancellationToken: ct);
        var result = session.Ask(question, boxes, GenerationOptionsFrom(cl), cancellationToken: ct);
        if (cl.Has("--json"))
        {
            var answer = new QueryAnswer(TurnResult.From(question, boxes, 1, result),
                new ImageSummary(image.Sha256, image.Width, image.Height),
                new ModelInfo(engine.ModelId, engine.Folder.Variant, engine.ExecutionProvider));
            stdout.WriteLine(JsonSerializer.Serialize(answer, Json));
        }
        else
        {
            stdout.WriteLine(result.Answer);
        }

        return ExitCodes.Ok;
    }

    private static int Chat(CommandLine cl, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (cl.Positional.Count != 2)
        {
            throw new UsageException("chat needs IMAGE: gpt4roi chat IMAGE");
        }

        var imagePath = cl.Positional[1];
        var bytes = ReadInput(imagePath);
        using var engine = CreateEngine(cl);
        using var image = ImageDecoder.Decode(bytes, imagePath, ImageLimits.Default);
        var session = engine.StartSession(image, cancellationToken: ct);
        var pending = new List<BoundingBox>();
        var options = GenerationOptionsFrom(cl);
        stdout.WriteLine($"{imagePath}: {image.Width}x{image.Height}. Add boxes with /region x1,y1,x2,y2, then ask about <regionN>. /quit ends.");
        while (!ct.IsCancellationRequested)
        {
            stdout.Write("> ");
            stdout.Flush();
            var line = stdin.ReadLine();
            if (line is null || line.Trim() is "/quit" or "/exit")
            {
                break;
            }

            line = line.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                if (line.StartsWith("/region ", StringComparison.Ordinal))
                {
                    var box = ParseBox(line["/region ".Length..].Trim(), session.Boxes.Count + pending.Count + 1);
                    pending.Add(box);
                    stdout.WriteLine($"region{session.Boxes.Count + pending.Count} = {box}");
                    continue;
                }

                if (line == "/regions")
                {
                    var all = session.Boxes.Concat(pending).ToList();
                    for (var i = 0; i < all.Count; i++)
                    {
                        stdout.WriteLine($"region{i + 1} = {all[i]}{(i >= session.Boxes.Count ? " (new)" : "")}");
                    }

                    continue;
                }

                var result = session.Ask(line, pending, options, cancellationToken: ct);
                pending.Clear();
                stdout.WriteLine($"Assistant: {result.Answer}");
            }
            catch (Exception ex) when (IsInputError(ex))
            {
                stderr.WriteLine($"invalid input: {ex.Message}");
            }
        }

        return ExitCodes.Ok;
    }

    private static int Batch(CommandLine cl, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var outDir = cl.Get("--out") ?? throw new UsageException("batch needs --out DIR");
        var inputs = cl.Positional.Skip(1).ToList();
        if (inputs.Count == 0)
        {
            throw new UsageException("batch needs at least one MANIFEST or DIR");
        }

        var manifests = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                manifests.AddRange(Directory.GetFiles(input, "*.json").Order(StringComparer.Ordinal));
            }
            else if (File.Exists(input))
            {
                manifests.Add(input);
            }
            else
            {
                throw new InputFileException($"{input}: no such file or directory");
            }
        }

        Directory.CreateDirectory(outDir);
        using var engine = CreateEngine(cl);
        var runner = new JobRunner(engine, ImageLimits.Default);
        int ok = 0, failed = 0;
        var summary = new List<object>();
        for (var i = 0; i < manifests.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var path = manifests[i];
            var stem = Path.GetFileNameWithoutExtension(path);
            var sw = Stopwatch.StartNew();
            string? requestId = null;
            try
            {
                var manifest = BoxManifest.Parse(ReadInput(path), path);
                requestId = manifest.RequestId;
                var imagePath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", manifest.Image);
                var result = runner.Run(manifest, ReadInput(imagePath), manifest.Image, cancellationToken: ct);
                var target = Path.Combine(outDir, stem + ".result.json");
                File.WriteAllText(target, JsonSerializer.Serialize(result, Json));
                var taskErrors = result.Tasks.Count(t => t.Error is not null);
                stderr.WriteLine($"[{i + 1}/{manifests.Count}] {path}: ok, {result.Tasks.Count} task(s){(taskErrors > 0 ? $", {taskErrors} with errors" : "")}, {sw.Elapsed.TotalSeconds:0.00} s -> {target}");
                summary.Add(new { manifest = path, result = target, status = "ok" });
                ok++;
            }
            catch (Exception ex) when (IsInputError(ex))
            {
                var target = Path.Combine(outDir, stem + ".error.json");
                var error = new JobError
                {
                    RequestId = requestId,
                    Manifest = path,
                    Error = new ErrorInfo(ErrorCode(ex), ex.Message),
                    CreatedUtc = DateTimeOffset.UtcNow,
                };
                File.WriteAllText(target, JsonSerializer.Serialize(error, Json));
                stderr.WriteLine($"[{i + 1}/{manifests.Count}] {path}: FAILED: {ex.Message} -> {target}");
                summary.Add(new { manifest = path, result = target, status = "error" });
                failed++;
            }
        }

        if (cl.Has("--json"))
        {
            stdout.WriteLine(JsonSerializer.Serialize(new { ok, failed, items = summary }, Json));
        }
        else
        {
            stdout.WriteLine($"{ok} succeeded, {failed} failed");
        }

        return failed == 0 ? ExitCodes.Ok : ExitCodes.PartialFailure;
    }

    internal static string ErrorCode(Exception ex) => ex switch
    {
        ImageInputException => "invalid_image",
        RegionInputException => "invalid_region",
        PromptException => "invalid_question",
        ManifestException => "invalid_manifest",
        InputFileException => "not_found",
        _ => "error",
    };

    private static BoundingBox ParseBox(string s, int region)
    {
        try
        {
            return BoundingBox.Parse(s);
        }
        catch (Exception ex) when (ex is RegionInputException or FormatException)
        {
            throw new RegionInputException($"region {region}: {ex.Message}", ex);
        }
    }

    private static byte[] ReadInput(string path)
    {
        if (!File.Exists(path))
        {
            throw new InputFileException($"{path}: no such file");
        }

        var info = new FileInfo(path);
        if (info.Length > ImageLimits.Default.MaxBytes)
        {
            throw new InputFileException($"{path}: {info.Length} bytes; the limit is {ImageLimits.Default.MaxBytes}");
        }

        return File.ReadAllBytes(path);
    }

    private static GenerationOptions GenerationOptionsFrom(CommandLine cl) => new()
    {
        Temperature = cl.GetFloat("--temperature") ?? 0f,
        TopP = cl.GetFloat("--top-p") ?? 1f,
        Seed = cl.GetInt("--seed"),
        MaxNewTokens = cl.GetInt("--max-new-tokens") ?? 64,
    };

    internal static string DefaultModelPath()
    {
        var env = Environment.GetEnvironmentVariable("GPT4ROI_MODEL");
        if (!string.IsNullOrEmpty(env))
        {
            return env;
        }

        return Path.Combine(AppContext.BaseDirectory, "models", "tiny");
    }

    private static Gpt4RoIEngine CreateEngine(CommandLine cl)
    {
        var verbose = cl.Has("--verbose");
        // Lives as long as the process: the engine logs through it until the command ends.
        var loggerFactory = LoggerFactory.Create(b => b
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddFilter(l => l >= (verbose ? LogLevel.Information : LogLevel.Error)));
        var options = new EngineOptions
        {
            ModelPath = cl.Get("--model") ?? DefaultModelPath(),
            Variant = cl.Get("--variant"),
            ForceCpu = cl.Has("--cpu"),
            MaxConcurrency = 1,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message, ex);
        }

        return new Gpt4RoIEngine(options, loggerFactory.CreateLogger<Gpt4RoIEngine>());
    }
}

/// <summary>An input file that is missing or too large.</summary>
internal sealed class InputFileException : Exception
{
    public InputFileException() { }
    public InputFileException(string message) : base(message) { }
    public InputFileException(string message, Exception inner) : base(message, inner) { }
}
