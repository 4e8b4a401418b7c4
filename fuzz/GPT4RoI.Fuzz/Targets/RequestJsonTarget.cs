using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Functions.Http;
using GPT4RoI.Functions.Storage;

namespace GPT4RoI.Fuzz.Targets;

/// <summary>
/// HTTP JSON bodies as the functions read them: <see cref="HttpRequestReader.Parse{T}"/> of a query or a turn (the
/// first byte picks which), then what the function does with the fields (boxes, generation settings, the
/// <c>image_blob</c> name). Refused only with a <see cref="Gpt4RoIException"/>; an accepted blob name must be a plain
/// name inside the inbox container.
/// </summary>
internal sealed class RequestJsonTarget : FuzzTarget
{
    public override string Name => "request-json";

    public override string Description => "HTTP request JSON (query/turn): HttpRequestReader.Parse, boxes, generation settings, InboxImages.BlobName";

    public override IReadOnlyList<byte[]> Dictionary { get; } = Tokens(
        "\"image_blob\"", "\"question\"", "\"regions\"", "\"generation\"", "\"stream\"", "\"temperature\"", "\"top_p\"",
        "\"seed\"", "\"max_new_tokens\"", "\"inbox/\"", "\"inbox/a/../b.png\"", "\"https://evil/x.png\"", "\"/etc/passwd\"",
        "\"a\\\\b.png\"", "\"%2e%2e/x\"", "\"results/x.json\"", "\"inbox//x\"", "\"./x\"", "\"\\u0000\"", "\"\\u2215\"",
        "\"\\uFF0E\\uFF0E/x\"", "\"file:x\"", "\"//host/x\"", "null", "true", "1e309", "-1", "[0,0,1,1]", "[[0,0,1,1]]",
        "{}", "[]", "\"<region1>\"");

    public override void Run(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        if (data[0] % 2 == 0)
        {
            var request = HttpRequestReader.Parse<QueryRequest>(data[1..], "the request body");
            _ = BoundingBox.FromArrays(request.Regions);
            request.Generation?.ToOptions().Validate(1024);
            if (request.ImageBlob is not null)
            {
                CheckBlobName(request.ImageBlob, InboxImages.BlobName(request.ImageBlob));
            }
        }
        else
        {
            var turn = HttpRequestReader.Parse<TurnRequest>(data[1..], "the request body");
            _ = BoundingBox.FromArrays(turn.Regions);
        }
    }

    public override bool IsExpected(Exception exception) => exception is Gpt4RoIException;

    /// <summary>What <see cref="InboxImages.BlobName"/> accepts must stay a plain name inside the inbox container.</summary>
    internal static void CheckBlobName(string reference, string name)
    {
        var segments = name.Split('/');
        if (name.Length == 0 || name.StartsWith('/') || name.Contains('\\', StringComparison.Ordinal)
            || name.Contains("://", StringComparison.Ordinal) || name.Contains('%', StringComparison.Ordinal)
            || segments.Any(s => s.Length == 0 || s is "." or "..") || name.Any(char.IsControl))
        {
            throw new FuzzInvariantException($"InboxImages.BlobName accepted '{reference}' as '{name}'");
        }
    }
}
