using System.CommandLine;
using System.Globalization;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Models;
using Microsoft.Extensions.Logging;

namespace GPT4RoI.Cli;

/// <summary>The options several commands share, and what they build: the engine, decoding settings, input files.</summary>
internal static class CommonOptions
{
    /// <summary>Model folder; default <c>$GPT4ROI_MODEL</c> or the tiny model next to the program.</summary>
    public static readonly Option<DirectoryInfo?> Model = new("--model")
    {
        Description = "model folder (default: $GPT4ROI_MODEL, else the shipped tiny model next to the program)",
        HelpName = "DIR",
        Recursive = true,
    };

    /// <summary>Model variant.</summary>
    public static readonly Option<string?> Variant = CreateVariant();

    /// <summary>CPU even when CUDA is available.</summary>
    public static readonly Option<bool> Cpu = new("--cpu") { Description = "use the CPU even when CUDA is available", Recursive = true };

    /// <summary>Log loading, provider and timings to standard error.</summary>
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "log model loading, the execution provider and timings to stderr", Recursive = true };

    /// <summary>Detector folder; default the tiny detector next to the program.</summary>
    public static readonly Option<DirectoryInfo?> Detector = new("--detector")
    {
        Description = "detector folder (default: $GPT4ROI_DETECTOR, else the shipped tiny detector next to the program)",
        HelpName = "DIR",
    };

    /// <summary>Options every command takes.</summary>
    public static IEnumerable<Option> Global => [Model, Variant, Cpu, Verbose];

    /// <summary>Machine-readable output.</summary>
    public static Option<bool> Json() => new("--json") { Description = "machine-readable JSON output" };

    /// <summary>Sampling temperature.</summary>
    public static readonly Option<float?> Temperature = new("--temperature") { Description = "0 = greedy (default: the model's)", HelpName = "T" };

    /// <summary>Nucleus mass.</summary>
    public static readonly Option<float?> TopP = new("--top-p") { Description = "nucleus sampling mass (default: the model's)", HelpName = "P" };

    /// <summary>Top-k.</summary>
    public static readonly Option<int?> TopK = new("--top-k") { Description = "keep the k most likely tokens, 0 = off (default: the model's)", HelpName = "K" };

    /// <summary>Sampler seed.</summary>
    public static readonly Option<int?> Seed = new("--seed") { Description = "sampling seed", HelpName = "N" };

    /// <summary>Answer length bound.</summary>
    public static readonly Option<int?> MaxNewTokens = new("--max-new-tokens") { Description = "most tokens to generate (default: the model's)", HelpName = "N" };

    /// <summary>The decoding options of <see cref="ApplyGeneration"/>.</summary>
    public static IEnumerable<Option> Generation => [Temperature, TopP, TopK, Seed, MaxNewTokens];

    /// <summary>Adds the decoding options to a command.</summary>
    public static void ApplyGeneration(Command command)
    {
        foreach (var option in Generation)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The decoding settings the options give; those not given come from <paramref name="defaults"/> (the model's,
    /// <see cref="Gpt4RoIEngine.DefaultGeneration"/>).</summary>
    public static GenerationOptions GenerationFrom(ParseResult parsed, GenerationOptions defaults) => new GenerationSettings
    {
        Temperature = parsed.GetValue(Temperature),
        TopP = parsed.GetValue(TopP),
        TopK = parsed.GetValue(TopK),
        Seed = parsed.GetValue(Seed),
        MaxNewTokens = parsed.GetValue(MaxNewTokens),
    }.ToOptions(defaults);

    /// <summary>The model folder to load: <c>--model</c>, else <c>$GPT4ROI_MODEL</c>, else the shipped tiny model.</summary>
    public static string ModelPath(ParseResult parsed) => FolderPath(parsed.GetValue(Model), "GPT4ROI_MODEL", ModelFolder.DefaultRelativePath);

    /// <summary>Loads the engine the options describe; its log goes to standard error (errors only unless <c>--verbose</c>).</summary>
    public static Gpt4RoIEngine CreateEngine(ParseResult parsed, ILoggerFactory loggers) => new(new EngineOptions
    {
        ModelPath = ModelPath(parsed),
        Variant = parsed.GetValue(Variant),
        ForceCpu = parsed.GetValue(Cpu),
        MaxConcurrency = 1,
    }, loggers.CreateLogger<Gpt4RoIEngine>());

    /// <summary>The detector folder to load: <c>--detector</c>, else <c>$GPT4ROI_DETECTOR</c>, else the shipped tiny detector.</summary>
    public static string DetectorPath(ParseResult parsed) => FolderPath(parsed.GetValue(Detector), "GPT4ROI_DETECTOR", DetectorFolder.DefaultRelativePath);

    /// <summary>The option's folder, else the environment variable's, else the shipped one next to the program.</summary>
    private static string FolderPath(DirectoryInfo? option, string environmentVariable, string shippedRelativePath) =>
        option?.FullName
        ?? (Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } env ? env : Path.Combine(AppContext.BaseDirectory, shippedRelativePath));

    /// <summary>Loads the detector the options describe (same provider choice as the engine).</summary>
    public static Detector CreateDetector(ParseResult parsed, ILoggerFactory loggers) => new(new DetectorOptions
    {
        Path = DetectorPath(parsed),
        ForceCpu = parsed.GetValue(Cpu),
    }, loggers.CreateLogger<Detector>());

    /// <summary>One line about a detected object: <c>N label score [x1, y1, x2, y2]</c>.</summary>
    public static string Describe(int index, string label, double score, IReadOnlyList<double> box) =>
        string.Create(CultureInfo.InvariantCulture, $"{index}\t{label}\t{score:F3}\t[{box[0]:F1}, {box[1]:F1}, {box[2]:F1}, {box[3]:F1}]");

    /// <summary>A logger factory writing single lines to standard error.</summary>
    public static ILoggerFactory CreateLoggers(ParseResult parsed)
    {
        var verbose = parsed.GetValue(Verbose);
        return LoggerFactory.Create(b => b
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddFilter(l => l >= (verbose ? LogLevel.Information : LogLevel.Error)));
    }

    /// <summary>Reads an input file, refusing a missing one or one over the image byte limit.</summary>
    /// <exception cref="Gpt4RoIException"><see cref="ErrorCode.NotFound"/> or <see cref="ErrorCode.LimitExceeded"/>, naming the file.</exception>
    public static byte[] ReadInput(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new Gpt4RoIException(ErrorCode.NotFound, $"{path}: no such file");
        }

        if (info.Length > ImageLimits.Default.MaxBytes)
        {
            throw new Gpt4RoIException(ErrorCode.LimitExceeded, $"{path}: {info.Length} bytes; the limit is {ImageLimits.Default.MaxBytes}");
        }

        return File.ReadAllBytes(path);
    }

    private static Option<string?> CreateVariant()
    {
        // Any variant the model folder's manifest lists (the folder checks it); completion offers the usual two.
        var option = new Option<string?>("--variant") { Description = "model variant, e.g. fp32, fp16 or int4 (default: the manifest's)", HelpName = "NAME", Recursive = true };
        option.CompletionSources.Add("fp32", "fp16", "int4");
        return option;
    }
}
