using GPT4RoI.Core.Errors;
using GPT4RoI.Functions;
using GPT4RoI.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Fuzz.Targets;

/// <summary>
/// Multipart bodies of <c>POST /api/query</c> (<see cref="HttpRequestReader.ReadQueryAsync"/>, chunked framing: no
/// Content-Length): part count, names, headers and sizes are limited. Refused only with a <see cref="Gpt4RoIException"/>;
/// an accepted body never yields more than the configured bytes.
/// </summary>
internal sealed class MultipartTarget : FuzzTarget
{
    internal const string Boundary = "fuzzboundary";
    private const int MaxImageBytes = 4096;
    private const int MaxJsonBytes = 1024;

    private readonly HttpRequestReader _reader = new(Options.Create(new FunctionsOptions
    {
        MaxImageBytes = MaxImageBytes,
        MaxRequestJsonBytes = MaxJsonBytes,
    }));

    public override string Name => "multipart";

    public override string Description => "multipart/form-data bodies: HttpRequestReader.ReadQueryAsync (parts, part headers, sizes)";

    public override IReadOnlyList<byte[]> Dictionary { get; } = Tokens(
        "--" + Boundary + "\r\n", "--" + Boundary + "--\r\n", "\r\n\r\n", "\r\n", "Content-Disposition: form-data; name=\"image\"",
        "Content-Disposition: form-data; name=\"request\"", "Content-Disposition: form-data; name=\"other\"",
        "Content-Disposition: attachment", "; filename=\"a.png\"", "; filename*=UTF-8''%2e%2e", "Content-Type: application/json",
        "name=image", "name=\"\"", "{\"question\":\"What is <region1>?\",\"regions\":[[0,0,1,1]]}", "{\"image_blob\":\"x.png\"}");

    public override void Run(ReadOnlySpan<byte> data)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.ContentType = "multipart/form-data; boundary=" + Boundary;
        context.Request.Body = new MemoryStream(data.ToArray(), writable: false);
        var (request, image) = _reader.ReadQueryAsync(context.Request, CancellationToken.None).GetAwaiter().GetResult();
        if (image is null || image.Length > MaxImageBytes)
        {
            throw new FuzzInvariantException($"an accepted multipart body gave an image of {image?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"} bytes");
        }

        _ = request;
    }

    public override bool IsExpected(Exception exception) => exception is Gpt4RoIException;
}
