using System.Diagnostics;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Services;

/// <summary>Runs a box manifest against an image through the engine. Shared by the CLI's <c>batch</c> and the
/// storage queue job, so both give the same result for the same input. A detect manifest (<c>"regions": "detect"</c>)
/// goes through the <see cref="DescribeService"/> the host supplies (created on first use, so a host without a
/// detector runs every other manifest).</summary>
public sealed class JobRunner(Gpt4RoIEngine engine, ImageLimits imageLimits, Func<DescribeService>? describe = null)
{
    /// <summary>Answers every task of <paramref name="manifest"/>. A task whose turn is refused records the error and
    /// the other tasks still run.</summary>
    /// <exception cref="ImageInputException">The image cannot be decoded or breaks a limit (the whole job fails).</exception>
    public JobResult Run(BoxManifest manifest, ReadOnlyMemory<byte> imageBytes, string imageName,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var span = Gpt4RoITelemetry.Source.StartActivity(Gpt4RoITelemetry.JobSpan);
        span?.SetTag("gpt4roi.tasks", manifest.Tasks.Count);
        var total = Stopwatch.StartNew();
        using var image = ImageDecoder.Decode(imageBytes, imageName, imageLimits);
        var decodeMs = total.Elapsed.TotalMilliseconds;
        // Encode once up front: every task's session then takes the features from the cache.
        _ = engine.EncodeImage(image, cancellationToken);
        var encodeMs = total.Elapsed.TotalMilliseconds - decodeMs;
        var options = manifest.Generation?.ToOptions(engine.DefaultGeneration) ?? engine.DefaultGeneration;
        if (manifest.IsDetect)
        {
            return RunDetect(manifest, image, imageName, options, decodeMs, total, progress, cancellationToken);
        }

        var tasks = new List<TaskResult>();
        int promptTokens = 0, generatedTokens = 0;
        for (var i = 0; i < manifest.Tasks.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var task = manifest.Tasks[i];
            using var session = engine.StartSession(image, cancellationToken: cancellationToken);
            var turns = new List<TurnResult>();
            ErrorInfo? error = null;
            foreach (var turn in task.AllTurns())
            {
                try
                {
                    var boxes = turn.Boxes();
                    var first = session.Boxes.Count + 1;
                    var r = session.Ask(turn.Question, boxes, options, cancellationToken: cancellationToken);
                    turns.Add(TurnResult.From(turn.Question, boxes, first, r));
                    promptTokens += r.PromptTokenIds.Count;
                    generatedTokens += r.GeneratedTokenIds.Count;
                }
                catch (Gpt4RoIException ex) when (ex.Code is not (ErrorCode.ModelError or ErrorCode.Internal))
                {
                    error = new ErrorInfo(ex.Code, $"turn {turns.Count + 1}: {ex.Message}");
                    break;
                }
            }

            tasks.Add(new TaskResult { Id = task.Id, Turns = turns, Error = error });
            progress?.Report($"task {i + 1}/{manifest.Tasks.Count}{(error is null ? "" : " failed: " + error.Message)}");
        }

        return new JobResult
        {
            RequestId = manifest.RequestId,
            Image = new ImageInfo(imageName, image.Sha256, image.Width, image.Height, image.Format),
            Model = engine.ModelInfo,
            Tasks = tasks,
            Usage = new TokenUsage(promptTokens, generatedTokens),
            TimingsMs = new Dictionary<string, double>
            {
                ["decode_image"] = Math.Round(decodeMs, 2),
                ["encode_image"] = Math.Round(encodeMs, 2),
                ["total"] = Math.Round(total.Elapsed.TotalMilliseconds, 2),
            },
            CreatedUtc = DateTimeOffset.UtcNow,
        };
    }

    private JobResult RunDetect(BoxManifest manifest, DecodedImage image, string imageName, GenerationOptions options, double decodeMs,
        Stopwatch total, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var service = describe?.Invoke()
            ?? throw new Gpt4RoIException(ErrorCode.DetectorError, "this host has no detector configured; \"regions\": \"detect\" cannot run");
        var r = service.Describe(image, manifest.Question, options, manifest.MinScore, cancellationToken);
        progress?.Report($"{r.Objects.Count} object(s) described");
        return new JobResult
        {
            RequestId = manifest.RequestId,
            Image = new ImageInfo(imageName, image.Sha256, image.Width, image.Height, image.Format),
            Model = engine.ModelInfo,
            Tasks = [],
            Detector = r.Detector,
            Mode = r.Mode,
            Question = r.Question,
            Objects = r.Objects,
            Answer = r.Answer,
            Usage = r.Usage,
            TimingsMs = new Dictionary<string, double>
            {
                ["decode_image"] = Math.Round(decodeMs, 2),
                ["detect"] = r.TimingsMs["detect"],
                ["answer"] = r.TimingsMs["answer"],
                ["total"] = Math.Round(total.Elapsed.TotalMilliseconds, 2),
            },
            CreatedUtc = DateTimeOffset.UtcNow,
        };
    }
}
