using System.CommandLine;
using GPT4RoI.Core.Errors;

namespace GPT4RoI.Cli;

/// <summary>
/// Invokes a parsed command line and turns what escapes a handler into an exit code, in one place: a
/// <see cref="Gpt4RoIException"/> by its code (<see cref="ExitCodes.For"/>), an interrupt into
/// <see cref="ExitCodes.Cancelled"/>, anything else into <see cref="ExitCodes.InternalError"/> with the exception on
/// standard error. Shared by <c>gpt4roi</c> and <c>gpt4roi-modeltools</c> (compiled into both).
/// </summary>
internal static class CommandRunner
{
    public static int Invoke(ParseResult parsed, InvocationConfiguration configuration, TextWriter stderr)
    {
        try
        {
            return parsed.Invoke(configuration);
        }
        catch (Gpt4RoIException ex)
        {
            stderr.WriteLine(ex.Code == ErrorCode.ModelError ? $"model error: {ex.Message}" : $"invalid input: {ex.Message}");
            return ExitCodes.For(ex.Code);
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("interrupted");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex)
        {
            stderr.WriteLine($"internal error: {ex}");
            return ExitCodes.InternalError;
        }
    }
}
