using GPT4RoI.ModelTools;

const string Usage = """
    usage: gpt4roi-modeltools parity DIR
           gpt4roi-modeltools shapes-eval DIR [--model MODEL_DIR]

      parity DIR   run every DIR/*.parity.json check (ONNX Runtime, CPU provider) and compare
                   each graph's outputs with the reference tensor bundle.
                   exit code: 0 all within tolerance, 1 some output failed, 2 usage or input error.
      shapes-eval DIR
                   answer the cases written by `python3 -m gpt4roi_ref.evaluate --dump DIR` through the
                   C# pipeline (default model: models/tiny); print accuracy per kind and agreement with
                   the PyTorch reference. exit code 0 when >= 99% of answers equal the reference's.
    """;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.Error.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}

switch (args[0])
{
    case "parity":
        if (args.Length != 2)
        {
            Console.Error.WriteLine("parity: expected exactly one argument DIR.");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        try
        {
            return new ParityChecker(Console.Out).RunDirectory(args[1]);
        }
        catch (ParityInputException ex)
        {
            Console.Error.WriteLine($"parity: error: {ex.Message}");
            return 2;
        }

    case "shapes-eval":
        if (args.Length is not (2 or 4) || (args.Length == 4 && args[2] != "--model"))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        try
        {
            return new ShapesEval(Console.Out).Run(args[1], args.Length == 4 ? args[3] : Path.Combine("models", "tiny"), 0.99);
        }
        catch (FileNotFoundException ex)
        {
            Console.Error.WriteLine($"shapes-eval: error: {ex.Message}");
            return 2;
        }

    default:
        Console.Error.WriteLine($"unknown command '{args[0]}'.");
        Console.Error.WriteLine(Usage);
        return 2;
}
