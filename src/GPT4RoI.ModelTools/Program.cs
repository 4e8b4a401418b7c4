using System.CommandLine;
using GPT4RoI.Cli;
using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Models;
using GPT4RoI.ModelTools;

var parity = CreateParity();
var shapesEval = CreateShapesEval();
var detectorEval = CreateDetectorEval();
var root = new RootCommand("gpt4roi-modeltools: checks of exported models against the PyTorch reference")
{
    parity,
    shapesEval,
    detectorEval,
};
var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
return CommandRunner.Invoke(root.Parse(args), configuration, Console.Error);

static Command CreateParity()
{
    var dir = new Argument<DirectoryInfo>("DIR") { Description = "a folder of *.parity.json checks" };
    var command = new Command("parity", "run every DIR/*.parity.json check in ONNX Runtime (CPU) and compare each output with the reference tensors") { dir };
    command.SetAction(parsed => new ParityChecker(Console.Out).RunDirectory(parsed.GetRequiredValue(dir).FullName));
    return command;
}

static Command CreateShapesEval()
{
    var dir = new Argument<DirectoryInfo>("DIR") { Description = "cases written by: python3 -m gpt4roi_ref.evaluate --dump DIR" };
    var model = new Option<DirectoryInfo>("--model")
    {
        Description = "model folder (default: the shipped tiny model, from the repository root)",
        HelpName = "MODEL_DIR",
        DefaultValueFactory = _ => new DirectoryInfo(ModelFolder.DefaultRelativePath),
    };
    var command = new Command("shapes-eval", $"answer the dumped shapes cases through the C# pipeline; exit {ExitCodes.Failed} when fewer than 99% equal the reference's") { dir, model };
    command.SetAction(parsed => new ShapesEval(Console.Out).Run(parsed.GetRequiredValue(dir).FullName, parsed.GetRequiredValue(model).FullName, 0.99));
    return command;
}

static Command CreateDetectorEval()
{
    var dir = new Argument<DirectoryInfo>("DIR") { Description = "scenes written by: python3 -m gpt4roi_ref.evaluate_detector --dump DIR" };
    var model = new Option<DirectoryInfo>("--model")
    {
        Description = "model folder (default: the shipped tiny model, from the repository root)",
        HelpName = "MODEL_DIR",
        DefaultValueFactory = _ => new DirectoryInfo(ModelFolder.DefaultRelativePath),
    };
    var detector = new Option<DirectoryInfo>("--detector")
    {
        Description = "detector folder (default: the shipped tiny detector, from the repository root)",
        HelpName = "DETECTOR_DIR",
        DefaultValueFactory = _ => new DirectoryInfo(DetectorFolder.DefaultRelativePath),
    };
    var command = new Command("detector-eval",
        $"detect and describe the dumped scenes through the C# pipeline; exit {ExitCodes.Failed} when fewer than 90% of the answers about detected objects are right")
        { dir, model, detector };
    command.SetAction(parsed => new DetectorEval(Console.Out).Run(parsed.GetRequiredValue(dir).FullName, parsed.GetRequiredValue(model).FullName,
        parsed.GetRequiredValue(detector).FullName, 0.90));
    return command;
}
