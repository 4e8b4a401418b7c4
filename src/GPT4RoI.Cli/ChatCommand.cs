using System.CommandLine;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;

namespace GPT4RoI.Cli;

/// <summary><c>gpt4roi chat IMAGE</c>: an interactive conversation; <c>/region</c> adds a box for the next question.</summary>
internal static class ChatCommand
{
    public static Command Create(CliConsole console)
    {
        var image = new Argument<string>("IMAGE") { Description = "the image (JPEG, PNG, WebP, BMP, GIF)" };
        var detect = AskCommand.Detect();
        var command = new Command("chat", "interactive: /region x1,y1,x2,y2 adds a box for the next question, /regions lists them, /quit ends") { image, detect, CommonOptions.Detector };
        CommonOptions.ApplyGeneration(command);
        command.SetAction(parsed =>
        {
            var path = parsed.GetRequiredValue(image);
            var bytes = CommonOptions.ReadInput(path);
            using var loggers = CommonOptions.CreateLoggers(parsed);
            using var engine = CommonOptions.CreateEngine(parsed, loggers);
            using var decoded = ImageDecoder.Decode(bytes, path, ImageLimits.Default);
            using var session = engine.StartSession(decoded, cancellationToken: console.Cancellation);
            var options = CommonOptions.GenerationFrom(parsed, engine.DefaultGeneration);
            var pending = new List<BoundingBox>();
            var (stdout, stderr) = (console.Out, console.Error);
            stdout.WriteLine($"{path}: {decoded.Width}x{decoded.Height}. Add boxes with /region x1,y1,x2,y2, then ask about <regionN>. /quit ends.");
            if (parsed.GetValue(detect))
            {
                // The detected objects are the first regions; the first question names them.
                pending.AddRange(AskCommand.DetectedRegions(parsed, loggers, decoded, console));
            }

            while (!console.Cancellation.IsCancellationRequested)
            {
                stdout.Write("> ");
                stdout.Flush();
                var line = console.In.ReadLine()?.Trim();
                if (line is null or "/quit" or "/exit")
                {
                    break;
                }

                if (line.Length == 0)
                {
                    continue;
                }

                try
                {
                    if (line.StartsWith("/region ", StringComparison.Ordinal))
                    {
                        var box = AskCommand.Boxes([line["/region ".Length..].Trim()])[0];
                        pending.Add(box);
                        stdout.WriteLine($"region{session.Boxes.Count + pending.Count} = {box}");
                    }
                    else if (line == "/regions")
                    {
                        var all = session.Boxes.Concat(pending).ToList();
                        for (var i = 0; i < all.Count; i++)
                        {
                            stdout.WriteLine($"region{i + 1} = {all[i]}{(i >= session.Boxes.Count ? " (new)" : "")}");
                        }
                    }
                    else
                    {
                        var result = session.Ask(line, pending, options, cancellationToken: console.Cancellation);
                        pending.Clear();
                        stdout.WriteLine($"Assistant: {result.Answer}");
                    }
                }
                catch (Gpt4RoIException ex) when (ex.Code is not ErrorCode.ModelError)
                {
                    // A refused question or box is reported and the conversation goes on.
                    stderr.WriteLine($"invalid input: {ex.Message}");
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
