using GPT4RoI.Cli;

using var cts = new CancellationTokenSource();

Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
return CliApp.Run(args, Console.In, Console.Out, Console.Error, cts.Token);
