using System.CommandLine;
using System.Text.Json;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Services;

namespace GPT4RoI.Cli;

/// <summary><c>gpt4roi describe IMAGE</c>: detect the objects, then describe each (<see cref="DescribeService"/>).</summary>
internal static class DescribeCommand
{
    public static Command Create(CliConsole console)
    {
        var image = new Argument<string>("IMAGE") { Description = "the image (JPEG, PNG, WebP, BMP, GIF)" };
        var question = new Option<string?>("--question")
        {
            Description = "the question asked about each object, naming it <region1> (default: the model's, else \"What is <region1>?\")",
            HelpName = "TEXT",
        };
        var minScore = new Option<double?>("--min-score") { Description = "describe only detections scored above S (default: the detector's threshold)", HelpName = "S" };
        var json = CommonOptions.Json();
        var command = new Command("describe", "detect the objects of an image and describe each one") { image, CommonOptions.Detector, question, minScore, json };
        CommonOptions.ApplyGeneration(command);
        command.SetAction(parsed =>
        {
            var path = parsed.GetRequiredValue(image);
            var score = parsed.GetValue(minScore);
            if (score is { } s && (!double.IsFinite(s) || s < 0 || s >= 1))
            {
                throw new Gpt4RoIException(ErrorCode.InvalidRequest, "--min-score must be within [0, 1)");
            }

            var bytes = CommonOptions.ReadInput(path);
            using var loggers = CommonOptions.CreateLoggers(parsed);
            using var engine = CommonOptions.CreateEngine(parsed, loggers);
            using var detector = CommonOptions.CreateDetector(parsed, loggers);
            var service = new DescribeService(engine, detector, ImageLimits.Default, QueryAdmission.Unbounded);
            var input = new DescribeInput(bytes, path, parsed.GetValue(question), CommonOptions.GenerationFrom(parsed, engine.DefaultGeneration), score);
            return parsed.GetValue(json)
                ? WriteJson(service, input, console)
                : WriteLines(service, input, console);
        });
        return command;
    }

    private static int WriteJson(DescribeService service, DescribeInput input, CliConsole console)
    {
        var result = service.DescribeAsync(input, console.Cancellation).GetAwaiter().GetResult();
        console.Out.WriteLine(JsonSerializer.Serialize(result, ContractJson.Options));
        return ExitCodes.Ok;
    }

    /// <summary>One line per object as its answer arrives: index, label, score, box, answer (tab-separated).</summary>
    private static int WriteLines(DescribeService service, DescribeInput input, CliConsole console)
    {
        var failed = false;
        var events = service.StreamAsync(input, console.Cancellation).GetAsyncEnumerator(console.Cancellation);
        try
        {
            while (events.MoveNextAsync().AsTask().GetAwaiter().GetResult())
            {
                switch (events.Current)
                {
                    case ObjectsDetected { Objects.Count: 0 }:
                        console.Error.WriteLine($"{input.ImageName}: no objects detected");
                        break;
                    case ObjectDescribed { Described: var o }:
                        failed |= o.Error is not null;
                        console.Out.WriteLine($"{CommonOptions.Describe(o.Index, o.Label, o.Score, o.Box)}\t{o.Answer ?? "error: " + o.Error?.Message}");
                        break;
                    case DescribeCompleted { Result: { Answer: { } answer } r }:
                        foreach (var o in r.Objects)
                        {
                            console.Out.WriteLine(CommonOptions.Describe(o.Index, o.Label, o.Score, o.Box));
                        }

                        console.Out.WriteLine($"Assistant: {answer}");
                        break;
                }
            }
        }
        finally
        {
            events.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        return failed ? ExitCodes.Failed : ExitCodes.Ok;
    }
}
