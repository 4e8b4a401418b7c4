using System.Diagnostics;
using System.Runtime.CompilerServices;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using GPT4RoI.Core.Models;
using GPT4RoI.Core.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GPT4RoI.Core.Services;

/// <summary>
/// Detect, then describe: the detector supplies the boxes and GPT4RoI describes each detected object. How the boxes
/// enter the prompt is the model's detection prompt mode (manifest <c>detection_prompt</c>): per region (one
/// conversation per object, the question naming it <c>&lt;region1&gt;</c>; the answers are decoded together in the
/// engine's batched loop) or in one turn (every box one unnamed region token, the official demo's prompt). Detected
/// boxes go through the same box validation and region limit as a user's boxes. HTTP-free: the CLI's
/// <c>describe</c>, the blob drop and <c>POST /api/describe</c> call it.
/// </summary>
public sealed class DescribeService(Gpt4RoIEngine engine, Detector detector, ImageLimits imageLimits, QueryAdmission admission,
    ILogger<DescribeService>? logger = null)
{
    /// <summary>The per-region question when neither the caller nor the model's detection prompt gives one.</summary>
    public const string DefaultQuestion = "What is <region1>?";

    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>The detector this service uses.</summary>
    public Detector Detector => detector;

    /// <summary>The detection prompt mode of the model (<c>per_region</c> when its manifest has none).</summary>
    public string Mode => engine.Manifest.DetectionPrompt?.Mode ?? DetectionPromptSpec.PerRegion;

    /// <summary>Detects and describes every object of an image.</summary>
    /// <exception cref="Gpt4RoIException">The image or the question was refused, the detector failed, or the service is busy.</exception>
    public async Task<DescribeResult> DescribeAsync(DescribeInput input, CancellationToken cancellationToken = default)
    {
        DescribeResult? result = null;
        await foreach (var e in StreamAsync(input, cancellationToken).ConfigureAwait(false))
        {
            if (e is DescribeCompleted c)
            {
                result = c.Result;
            }
        }

        return result!;
    }

    /// <summary>Detects and describes as a stream: <see cref="ObjectsDetected"/>, an <see cref="ObjectDescribed"/> per
    /// object (per-region mode), then <see cref="DescribeCompleted"/>. A failure before the first event is thrown from
    /// the enumeration; one object's failed answer is recorded on that object.</summary>
    /// <exception cref="Gpt4RoIException">The image or the question was refused, the detector failed, or the service is busy.</exception>
    public async IAsyncEnumerable<DescribeEvent> StreamAsync(DescribeInput input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var lease = await admission.EnterAsync(cancellationToken).ConfigureAwait(false);
        var total = Stopwatch.StartNew();
        var run = await Task.Run(() =>
        {
            using var image = ImageDecoder.Decode(input.Image, input.ImageName, imageLimits);
            var decodeMs = total.Elapsed.TotalMilliseconds;
            return Start(image, input.Question, input.Generation, input.MinScore, decodeMs, total, cancellationToken);
        }, CancellationToken.None).ConfigureAwait(false);

        yield return new ObjectsDetected([.. run.Objects]);
        for (var i = 0; i < run.PerObject.Count; i++)
        {
            await run.CompleteAsync(i).ConfigureAwait(false);
            yield return new ObjectDescribed(run.Objects[i]);
        }

        yield return new DescribeCompleted(await run.FinishAsync().ConfigureAwait(false));
    }

    /// <summary>Detects and describes the objects of an already decoded image and waits for every answer (the blob drop
    /// and session start use it).</summary>
    /// <exception cref="Gpt4RoIException">The question was refused or the detector failed.</exception>
    public DescribeResult Describe(DecodedImage image, string? question, GenerationOptions generation, double? minScore = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var total = Stopwatch.StartNew();
        var run = Start(image, question, generation, minScore, 0, total, cancellationToken);
        return run.FinishAsync().GetAwaiter().GetResult();
    }

    /// <summary>Runs the detector and picks the detections a description would use, without asking anything (a
    /// session started from detected regions uses it).</summary>
    /// <exception cref="DetectorException">The detector failed.</exception>
    public (DetectionResult Detection, List<DetectedObject> Selected, int Skipped) Detect(DecodedImage image, double? minScore = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        var detection = detector.Detect(image);
        var (selected, skipped) = DetectionPlan.Select(detection.Detections, null, image.Width, image.Height, minScore, BoxPolicy.Default.MaxRegions);
        return (detection, selected, skipped);
    }

    /// <summary>Decodes an image and runs the detector: the detected objects (no answers) a conversation can take as its
    /// first regions, numbered from 1 in detection order, after the same filters as a description.</summary>
    /// <exception cref="Gpt4RoIException">The image was refused or the detector failed.</exception>
    public IReadOnlyList<DescribedObject> DetectRegions(ReadOnlyMemory<byte> imageBytes, string imageName, double? minScore = null)
    {
        using var image = ImageDecoder.Decode(imageBytes, imageName, imageLimits);
        var (_, selected, _) = Detect(image, minScore);
        return selected.Select((d, i) => new DescribedObject
        {
            Index = i + 1,
            Box = [d.Box.X1, d.Box.Y1, d.Box.X2, d.Box.Y2],
            Label = d.Label,
            ClassId = d.ClassId,
            Score = d.Score,
        }).ToList();
    }

    private Run Start(DecodedImage image, string? question, GenerationOptions generation, double? minScore, double decodeMs, Stopwatch total,
        CancellationToken cancellationToken)
    {
        var spec = engine.Manifest.DetectionPrompt;
        var mode = spec?.Mode ?? DetectionPromptSpec.PerRegion;
        var oneTurn = spec is { IsOneTurn: true };
        question ??= spec?.Question ?? (oneTurn
            ? throw new Gpt4RoIException(ErrorCode.InvalidRequest, $"the model's detection prompt mode '{mode}' needs a question")
            : DefaultQuestion);

        var detection = detector.Detect(image);
        var detectMs = total.Elapsed.TotalMilliseconds - decodeMs;
        var limits = PromptLimits.Default;
        var (selected, skipped) = DetectionPlan.Select(detection.Detections, spec, image.Width, image.Height, minScore, limits.MaxRegions);
        var objects = selected.Select((d, i) => new DescribedObject
        {
            Index = i + 1,
            Box = [d.Box.X1, d.Box.Y1, d.Box.X2, d.Box.Y2],
            Label = d.Label,
            ClassId = d.ClassId,
            Score = d.Score,
            Question = oneTurn ? null : question,
        }).ToList();

        var run = new Run(this, engine, detection, objects, mode, question, image, decodeMs, detectMs, skipped, total);
        if (selected.Count == 0)
        {
            return run;
        }

        // Encode once: every object's session takes the features from the cache.
        _ = engine.EncodeImage(image, cancellationToken);
        if (oneTurn)
        {
            var intro = DetectionPlan.OneTurnIntro(spec!, selected);
            var session = engine.StartSession(image, limits, cancellationToken);
            run.Whole = session.StartDetectionTurn(question, intro, selected.Select(d => d.Box).ToList(), generation, cancellationToken);
            return run;
        }

        foreach (var d in selected)
        {
            var session = engine.StartSession(image, limits, cancellationToken);
            run.PerObject.Add(session.StartTurn(question, [d.Box], generation, cancellationToken: cancellationToken));
        }

        return run;
    }

    /// <summary>One description in flight: the detections, the started answers and their totals.</summary>
    private sealed class Run(DescribeService owner, Gpt4RoIEngine engine, DetectionResult detection, List<DescribedObject> objects, string mode,
        string question, DecodedImage image, double decodeMs, double detectMs, int skipped, Stopwatch total)
    {
        private readonly ImageSummary _image = new(image.Sha256, image.Width, image.Height);
        private int _promptTokens;
        private int _generatedTokens;

        public List<DescribedObject> Objects { get; } = objects;

        public List<Generator> PerObject { get; } = [];

        public Generator? Whole { get; set; }

        public async Task CompleteAsync(int i)
        {
            try
            {
                var r = await PerObject[i].Completion.ConfigureAwait(false);
                _promptTokens += r.PromptTokenIds.Count;
                _generatedTokens += r.GeneratedTokenIds.Count;
                Objects[i] = Objects[i] with { Answer = r.Answer };
            }
            catch (Gpt4RoIException ex) when (ex.Code is not (ErrorCode.ModelError or ErrorCode.Internal))
            {
                Objects[i] = Objects[i] with { Error = new ErrorInfo(ex.Code, ex.Message) };
            }
        }

        public async Task<DescribeResult> FinishAsync()
        {
            for (var i = 0; i < PerObject.Count; i++)
            {
                if (Objects[i].Answer is null && Objects[i].Error is null)
                {
                    await CompleteAsync(i).ConfigureAwait(false);
                }
            }

            string? answer = null;
            if (Whole is not null)
            {
                var r = await Whole.Completion.ConfigureAwait(false);
                _promptTokens += r.PromptTokenIds.Count;
                _generatedTokens += r.GeneratedTokenIds.Count;
                answer = r.Answer;
            }

            var ms = total.Elapsed.TotalMilliseconds;
            Logs.Described(owner._logger, Objects.Count, detection.Detections.Count, mode, (long)ms);
            return new DescribeResult
            {
                Image = _image,
                Model = engine.ModelInfo,
                Detector = new DetectorInfo(owner.Detector.ModelId, owner.Detector.ExecutionProvider, owner.Detector.DefaultSettings.ScoreThreshold),
                Mode = mode,
                Question = question,
                Objects = Objects,
                Answer = answer,
                Skipped = skipped,
                NanScores = detection.NaNScores > 0 ? detection.NaNScores : null,
                Usage = new TokenUsage(_promptTokens, _generatedTokens),
                TimingsMs = new Dictionary<string, double>
                {
                    ["decode_image"] = Math.Round(decodeMs, 2),
                    ["detect"] = Math.Round(detectMs, 2),
                    ["answer"] = Math.Round(ms - decodeMs - detectMs, 2),
                    ["total"] = Math.Round(ms, 2),
                },
            };
        }
    }
}
