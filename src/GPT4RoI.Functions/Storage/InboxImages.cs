using System.Globalization;
using Azure;
using GPT4RoI.Core.Errors;
using Microsoft.Extensions.Options;

namespace GPT4RoI.Functions.Storage;

/// <summary>
/// Reads an image that a request names by blob (<c>image_blob</c>): only from this app's inbox container, never from
/// a URL or another container or account, and only up to <see cref="FunctionsOptions.MaxImageBytes"/>.
/// </summary>
public sealed class InboxImages(StorageClients storage, IOptions<FunctionsOptions> options)
{
    /// <summary>The blob name inside the inbox container that <paramref name="reference"/> denotes
    /// (<c>inbox/a/b.png</c> or <c>a/b.png</c>).</summary>
    /// <exception cref="Gpt4RoIException"><see cref="ErrorCode.InvalidRequest"/> for a URL, a path that leaves the
    /// container, an encoded or control character, or an empty name.</exception>
    public static string BlobName(string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference))
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest,
                "a JSON request needs image_blob (a blob in the inbox container); or upload the image as multipart");
        }

        if (reference.Contains("://", StringComparison.Ordinal) || reference.StartsWith('/') || reference.Contains('\\', StringComparison.Ordinal))
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest, "image_blob must be a blob name in this app's inbox container, not a URL or a path");
        }

        var name = reference.StartsWith(StorageNames.Inbox + "/", StringComparison.Ordinal) ? reference[(StorageNames.Inbox.Length + 1)..] : reference;
        var segments = name.Split('/');
        if (name.Length is 0 or > 1024
            || segments.Any(s => s.Length == 0 || s is "." or "..")
            || name.Any(c => char.IsControl(c) || c == '%'))
        {
            throw new Gpt4RoIException(ErrorCode.InvalidRequest,
                "image_blob is not a plain blob name in the inbox container (no empty, '.' or '..' segments, '%' or control characters)");
        }

        return name;
    }

    /// <summary>The bytes of the inbox blob <paramref name="reference"/>.</summary>
    /// <exception cref="Gpt4RoIException">A bad name, a missing blob (<see cref="ErrorCode.NotFound"/>) or one over the size limit.</exception>
    public async Task<byte[]> ReadAsync(string? reference, CancellationToken cancellationToken)
    {
        var name = BlobName(reference);
        var blob = storage.Inbox.GetBlobClient(name);
        var max = options.Value.MaxImageBytes;
        try
        {
            var props = await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            if (props.Value.ContentLength > max)
            {
                throw new Gpt4RoIException(ErrorCode.LimitExceeded,
                    string.Create(CultureInfo.InvariantCulture, $"{StorageNames.Inbox}/{name}: {props.Value.ContentLength} bytes; the limit is {max}"));
            }

            return (await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToArray();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new Gpt4RoIException(ErrorCode.NotFound, $"{StorageNames.Inbox}/{name} does not exist", ex);
        }
    }
}
