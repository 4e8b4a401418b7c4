using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;

namespace GPT4RoI.Functions.Jobs;

/// <summary>Writes result and error JSON into the results container, each at most once, with the SHA-256 of the bytes
/// in the blob's metadata (<see cref="ContentHashKey"/>) so a later delivery can tell an intact blob from one that was
/// changed or cut short after it was written.</summary>
internal static class ResultBlobs
{
    /// <summary>The metadata key that holds the SHA-256 (hex) of the bytes the app wrote.</summary>
    public const string ContentHashKey = "content_sha256";

    /// <summary>Writes a JSON blob only if none exists there yet; returns false when one did (a redelivery).</summary>
    public static async Task<bool> TryCreateJsonAsync<T>(BlobContainerClient container, string name, T value, CancellationToken ct)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, ContractJson.Options);
        try
        {
            await container.GetBlobClient(name).UploadAsync(new BinaryData(bytes), new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                Metadata = new Dictionary<string, string> { [ContentHashKey] = ResultNames.Sha256(bytes) },
            }, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409 || ex.ErrorCode == BlobErrorCode.BlobAlreadyExists)
        {
            return false;
        }
    }

    /// <summary>The blob's bytes and the content hash its metadata records, or null when there is no such blob.</summary>
    public static async Task<StoredResult?> ReadAsync(BlobContainerClient container, string name, CancellationToken ct)
    {
        try
        {
            var content = (await container.GetBlobClient(name).DownloadContentAsync(ct).ConfigureAwait(false)).Value;
            var bytes = content.Content.ToArray();
            content.Details.Metadata.TryGetValue(ContentHashKey, out var hash);
            return new StoredResult(bytes, hash);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The error JSON of a manifest.</summary>
    public static JobError Error(string manifest, string? requestId, ErrorCode code, string message) => new()
    {
        Manifest = manifest,
        RequestId = requestId,
        Error = new ErrorInfo(code, message),
        CreatedUtc = DateTimeOffset.UtcNow,
    };
}
