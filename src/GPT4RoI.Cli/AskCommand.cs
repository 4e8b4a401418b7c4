using System.CommandLine;
using System.Text.Json;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Services;

namespace GPT4RoI.Cli;

/// <summary><c>gpt4roi ask IMAGE --region x1,y1,x2,y2 ... QUESTION</c>: one question, answered through <see cref="QueryService"/>.</summary>
internal static class AskCommand
{
    public static Command Create(CliConsole console)
    {
        var image = new Argument<string>("IMAGE") { Description = "the image (JPEG, PNG, WebP, BMP, GIF)" };
        var question = new Argument<string>("QUESTION") { Description = "the question; name the boxes <region1>, <region2>, … in order" };
        var regions = new Option<string[]>("--region")
        {
            Description = "a box x1,y1,x2,y2 in pixels of the (EXIF-oriented) image; repeat for more",
            HelpName = "x1,y1,x2,y2",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var json = CommonOptions.Json();
        var detect = Detect();
        var command = new Command("ask", "ask one question about regions of an image") { image, question, regions, detect, CommonOptions.Detector, json };
        CommonOptions.ApplyGeneration(command);
        command.SetAction(parsed =>
        {
            var path = parsed.GetRequiredValue(image);
            var text = parsed.GetRequiredValue(question);
            var boxes = Boxes(parsed.GetValue(regions) ?? []);
            var bytes = CommonOptions.ReadInput(path);
            using var loggers = CommonOptions.CreateLoggers(parsed);
            using var engine = CommonOptions.CreateEngine(parsed, loggers);
            if (parsed.GetValue(detect))
            {
                using var decoded = ImageDecoder.Decode(bytes, path, ImageLimits.Default);
                boxes = [.. DetectedRegions(parsed, loggers, decoded, console), .. boxes];
            }

            var service = new QueryService(engine, ImageLimits.Default, QueryAdmission.Unbounded);
            var answer = service.AskAsync(new QueryInput(bytes, path, text, boxes, CommonOptions.GenerationFrom(parsed, engine.DefaultGeneration)), console.Cancellation)
                .GetAwaiter().GetResult();
            console.Out.WriteLine(parsed.GetValue(json) ? JsonSerializer.Serialize(answer, ContractJson.Options) : answer.Answer);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>--detect</c>: the detected objects become the first regions.</summary>
    internal static Option<bool> Detect() => new("--detect")
    {
        Description = "detect the objects first; they become <region1>, <region2>, … (score descending, listed on stderr), before any --region",
    };

    /// <summary>Runs the detector (<c>--detector</c>) on a decoded image and lists the regions it gives on standard error.</summary>
    internal static List<BoundingBox> DetectedRegions(ParseResult parsed, Microsoft.Extensions.Logging.ILoggerFactory loggers, DecodedImage image, CliConsole console)
    {
        using var detector = CommonOptions.CreateDetector(parsed, loggers);
        var detection = detector.Detect(image);
        var (selected, _) = DetectionPlan.Select(detection.Detections, null, image.Width, image.Height, null, BoxPolicy.Default.MaxRegions);
        if (selected.Count == 0)
        {
            console.Error.WriteLine($"{detector.ModelId}: no objects detected");
        }

        for (var i = 0; i < selected.Count; i++)
        {
            var d = selected[i];
            console.Error.WriteLine($"region{CommonOptions.Describe(i + 1, d.Label, d.Score, [d.Box.X1, d.Box.Y1, d.Box.X2, d.Box.Y2])}");
        }

        return [.. selected.Select(d => d.Box)];
    }

    /// <summary>Parses <c>x1,y1,x2,y2</c> values; a malformed one is an invalid region naming its number.</summary>
    internal static List<BoundingBox> Boxes(IEnumerable<string> values) =>
        values.Select((s, i) =>
        {
            try
            {
                return BoundingBox.Parse(s);
            }
            catch (RegionInputException ex)
            {
                throw new RegionInputException(i, ex.Message, ErrorCode.InvalidRegion, ex);
            }
        }).ToList();
}
