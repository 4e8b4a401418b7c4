using System.Globalization;

namespace GPT4RoI.Cli;

/// <summary>Parsed arguments: positional values and <c>--name value</c> / <c>--flag</c> options.</summary>
internal sealed class CommandLine
{
    private static readonly HashSet<string> Flags = ["--json", "--cpu", "--verbose", "--help", "-h"];
    private static readonly HashSet<string> Valued =
        ["--model", "--region", "--out", "--temperature", "--top-p", "--seed", "--max-new-tokens", "--variant"];

    public List<string> Positional { get; } = [];
    public Dictionary<string, List<string>> Options { get; } = new(StringComparer.Ordinal);

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var cl = new CommandLine();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--")
            {
                cl.Positional.AddRange(args.Skip(i + 1));
                break;
            }

            if (Flags.Contains(a))
            {
                cl.Add(a, "true");
            }
            else if (Valued.Contains(a))
            {
                if (i + 1 >= args.Count)
                {
                    throw new UsageException($"option {a} needs a value");
                }

                cl.Add(a, args[++i]);
            }
            else if (a.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unknown option {a}");
            }
            else
            {
                cl.Positional.Add(a);
            }
        }

        return cl;
    }

    private void Add(string name, string value)
    {
        if (!Options.TryGetValue(name, out var list))
        {
            Options[name] = list = [];
        }

        list.Add(value);
    }

    public bool Has(string name) => Options.ContainsKey(name);
    public string? Get(string name) => Options.TryGetValue(name, out var v) ? v[^1] : null;
    public IReadOnlyList<string> All(string name) => Options.TryGetValue(name, out var v) ? v : [];

    public float? GetFloat(string name) => Get(name) is { } s
        ? float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) ? f : throw new UsageException($"{name}: '{s}' is not a number")
        : null;

    public int? GetInt(string name) => Get(name) is { } s
        ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"{name}: '{s}' is not an integer")
        : null;
}

internal sealed class UsageException : Exception
{
    public UsageException() { }
    public UsageException(string message) : base(message) { }
    public UsageException(string message, Exception inner) : base(message, inner) { }
}
