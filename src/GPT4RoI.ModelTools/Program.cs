using GPT4RoI.ModelTools;

const string Usage = """
    usage: gpt4roi-modeltools parity DIR

      parity DIR   run every DIR/*.parity.json check (ONNX Runtime, CPU provider) and compare
                   each graph's outputs with the reference tensor bundle.
                   exit code: 0 all within tolerance, 1 some output failed, 2 usage or input error.
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

    default:
        Console.Error.WriteLine($"unknown command '{args[0]}'.");
        Console.Error.WriteLine(Usage);
        return 2;
}
