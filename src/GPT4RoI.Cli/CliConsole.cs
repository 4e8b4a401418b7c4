namespace GPT4RoI.Cli;

/// <summary>The streams and the interrupt token a command handler works with (the process's own, or a test's).</summary>
internal sealed record CliConsole(TextReader In, TextWriter Out, TextWriter Error, CancellationToken Cancellation);
