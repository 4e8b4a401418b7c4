using System.CommandLine;
using GPT4RoI.Core.Errors;

namespace GPT4RoI.Cli;

/// <summary>
/// The <c>gpt4roi</c> command line: <c>ask</c>, <c>chat</c> and <c>batch</c>, each with its own handler, parsed by
/// System.CommandLine (help with <c>-h</c>, completions through the <c>[suggest]</c> directive). Exit codes are
/// <see cref="ExitCodes"/>: a parse error is <see cref="ExitCodes.Usage"/>, a rejected input
/// <see cref="ExitCodes.InvalidInput"/>, and so on.
/// </summary>
internal static class CliApp
{
    /// <summary>Runs the command line with the given streams; returns the exit code.</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var console = new CliConsole(stdin, stdout, stderr, cancellationToken);
        var root = new RootCommand("gpt4roi: ask GPT4RoI about regions of an image")
        {
            AskCommand.Create(console),
            ChatCommand.Create(console),
            BatchCommand.Create(console),
            DescribeCommand.Create(console),
        };
        foreach (var option in CommonOptions.Global)
        {
            root.Options.Add(option);
        }

        var configuration = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        return CommandRunner.Invoke(root.Parse(args), configuration, stderr);
    }
}
