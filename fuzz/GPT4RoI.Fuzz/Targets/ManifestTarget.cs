using System.Text.Json;
using GPT4RoI.Core.Contracts;

namespace GPT4RoI.Fuzz.Targets;

/// <summary>
/// Box manifests (<see cref="BoxManifest.Parse"/> with <see cref="ContractJson"/>): refused only with a
/// <see cref="ManifestException"/>; an accepted manifest must write and read back to an equal one.
/// </summary>
internal sealed class ManifestTarget : FuzzTarget
{
    public override string Name => "manifest";

    public override string Description => "box manifest JSON: BoxManifest.Parse (ContractJson, schema rules), write/read round trip";

    public override IReadOnlyList<byte[]> Dictionary { get; } = Tokens(
        "\"image\"", "\"request_id\"", "\"tasks\"", "\"id\"", "\"question\"", "\"regions\"", "\"turns\"", "\"generation\"",
        "\"temperature\"", "\"top_p\"", "\"seed\"", "\"max_new_tokens\"", "\"<region1>\"", "\"../x.png\"", "\"\\u0000\"",
        "null", "true", "false", "1e309", "-0", "NaN", "\"NaN\"", "[[0,0,1,1]]", "{}", "[]", "//", "/*", "*/", ",", ":",
        "\"\\ud800\"", "9223372036854775808", "1.5", "-1", "4294967296");

    public override void Run(ReadOnlySpan<byte> data)
    {
        var manifest = BoxManifest.Parse(data, "fuzz.json");

        // A box with an overflowing number (1e400 reads as infinity) passes the manifest schema and fails its task
        // (invalid_region, docs/api.md); results never echo it. Such manifests cannot be written back as JSON.
        if (manifest.Tasks.SelectMany(t => (t.Regions ?? []).Concat((t.Turns ?? []).SelectMany(u => u.Regions ?? [])))
            .Any(r => r is not null && r.Any(v => !double.IsFinite(v))))
        {
            return;
        }

        var written = JsonSerializer.SerializeToUtf8Bytes(manifest, ContractJson.Options);
        var again = BoxManifest.Parse(written, "fuzz.json (written back)");
        var rewritten = JsonSerializer.SerializeToUtf8Bytes(again, ContractJson.Options);
        if (!written.AsSpan().SequenceEqual(rewritten))
        {
            throw new FuzzInvariantException("a parsed manifest did not write and read back to the same JSON");
        }
    }

    public override bool IsExpected(Exception exception) => exception is ManifestException;
}
