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
        var command = new Command("ask", "ask one question about regions of an image") { image, question, regions, json };
        CommonOptions.ApplyGeneration(command);
        command.SetAction(parsed =>
        {
            var path = parsed.GetRequiredValue(image);
            var text = parsed.GetRequiredValue(question);
            var boxes = Boxes(parsed.GetValue(regions) ?? []);
            var bytes = CommonOptions.ReadInput(path);
            using var loggers = CommonOptions.CreateLoggers(parsed);
            using var engine = CommonOptions.CreateEngine(parsed, loggers);
            var service = new QueryService(engine, ImageLimits.Default, QueryAdmission.Unbounded);
            var answer = service.AskAsync(new QueryInput(bytes, path, text, boxes, CommonOptions.GenerationFrom(parsed, engine.DefaultGeneration)), console.Cancellation)
                .GetAwaiter().GetResult();
            console.Out.WriteLine(parsed.GetValue(json) ? JsonSerializer.Serialize(answer, ContractJson.Options) : answer.Answer);
            return ExitCodes.Ok;
        });
        return command;
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
