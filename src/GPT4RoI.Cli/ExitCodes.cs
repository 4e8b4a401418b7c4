namespace GPT4RoI.Cli;

/// <summary>Process exit codes (README "Command line").</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Bad command line: unknown command or option, missing argument.</summary>
    public const int Usage = 1;
    /// <summary>Bad input: image, box, question or manifest rejected (the message names it and why).</summary>
    public const int InvalidInput = 2;
    /// <summary>The model folder is missing or fails validation.</summary>
    public const int ModelError = 3;
    /// <summary>batch: some manifests failed (their error JSON was written); the rest succeeded.</summary>
    public const int PartialFailure = 4;
    /// <summary>Interrupted (Ctrl+C).</summary>
    public const int Cancelled = 130;
}
