using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Services;

namespace GPT4RoI.Cli;

/// <summary><c>gpt4roi batch MANIFEST|DIR... --out DIR</c>: box manifests through <see cref="JobRunner"/>, one result
/// or error JSON per manifest.</summary>
internal static class BatchCommand
{
    public static Command Create(CliConsole console)
    {
        var inputs = new Argument<string[]>("MANIFEST|DIR") { Description = "box manifests (docs/api.md); a DIR means every *.json in it", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "where the .result.json / .error.json files go", HelpName = "DIR", Required = true };
        var json = CommonOptions.Json();
        var command = new Command("batch", "run box manifests; one result (or error) JSON per manifest, progress on stderr") { inputs, outDir, CommonOptions.Detector, json };
        command.SetAction(parsed =>
        {
            var manifests = Expand(parsed.GetRequiredValue(inputs));
            var output = parsed.GetRequiredValue(outDir);
            output.Create();
            using var loggers = CommonOptions.CreateLoggers(parsed);
            using var engine = CommonOptions.CreateEngine(parsed, loggers);
            // The detector is loaded only when a manifest says "regions": "detect".
            using var detector = new Lazy<Detector>(() => CommonOptions.CreateDetector(parsed, loggers)).AsDisposable();
            var runner = new JobRunner(engine, ImageLimits.Default,
                () => new DescribeService(engine, detector.Value, ImageLimits.Default, QueryAdmission.Unbounded));
            int ok = 0, failed = 0;
            var summary = new List<object>();
            for (var i = 0; i < manifests.Count; i++)
            {
                console.Cancellation.ThrowIfCancellationRequested();
                var path = manifests[i];
                var stem = Path.GetFileNameWithoutExtension(path);
                var sw = Stopwatch.StartNew();
                string? requestId = null;
                var progress = $"[{i + 1}/{manifests.Count}] {path}";
                try
                {
                    var manifest = BoxManifest.Parse(CommonOptions.ReadInput(path), path);
                    requestId = manifest.RequestId;
                    var imagePath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", manifest.Image);
                    var result = runner.Run(manifest, CommonOptions.ReadInput(imagePath), manifest.Image, cancellationToken: console.Cancellation);
                    var target = Path.Combine(output.FullName, stem + ".result.json");
                    File.WriteAllText(target, JsonSerializer.Serialize(result, ContractJson.Options));
                    var taskErrors = result.Tasks.Count(t => t.Error is not null);
                    console.Error.WriteLine($"{progress}: ok, {result.Tasks.Count} task(s){(taskErrors > 0 ? $", {taskErrors} with errors" : "")}, {sw.Elapsed.TotalSeconds:0.00} s -> {target}");
                    summary.Add(new { manifest = path, result = target, status = "ok" });
                    ok++;
                }
                catch (Gpt4RoIException ex) when (ex.Code is not (ErrorCode.ModelError or ErrorCode.DetectorError))
                {
                    var target = Path.Combine(output.FullName, stem + ".error.json");
                    var error = new JobError { RequestId = requestId, Manifest = path, Error = ErrorInfo.From(ex), CreatedUtc = DateTimeOffset.UtcNow };
                    File.WriteAllText(target, JsonSerializer.Serialize(error, ContractJson.Options));
                    console.Error.WriteLine($"{progress}: FAILED: {ex.Message} -> {target}");
                    summary.Add(new { manifest = path, result = target, status = "error" });
                    failed++;
                }
            }

            console.Out.WriteLine(parsed.GetValue(json)
                ? JsonSerializer.Serialize(new { ok, failed, items = summary }, ContractJson.Options)
                : $"{ok} succeeded, {failed} failed");
            return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static List<string> Expand(IEnumerable<string> inputs)
    {
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
                throw new Gpt4RoIException(ErrorCode.NotFound, $"{input}: no such file or directory");
            }
        }

        return manifests;
    }
}
