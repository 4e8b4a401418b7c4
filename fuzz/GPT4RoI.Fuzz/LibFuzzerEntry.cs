namespace GPT4RoI.Fuzz;

/// <summary>
/// Runs a target under libFuzzer through SharpFuzz's libfuzzer-dotnet driver: expected refusals return normally,
/// anything else propagates and libFuzzer records the crash. The program must be instrumented first
/// (<c>sharpfuzz</c>); docs/reliability.md has the commands.
/// </summary>
internal static class LibFuzzerEntry
{
    public static int Run(string[] args)
    {
        if (args.Length != 1)
        {
            throw new ArgumentException("libfuzzer needs one target name");
        }

        var target = FuzzTargets.Create(args[0]);
        SharpFuzz.Fuzzer.LibFuzzer.Run(data =>
        {
            var (unexpected, _) = target.Execute(data);
            if (unexpected is not null)
            {
                throw new FuzzInvariantException($"{target.Name}: unexpected {unexpected.GetType().FullName}", unexpected);
            }
        });
        return 0;
    }
}
