using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GPT4RoI.Core.Jobs;

namespace GPT4RoI.Functions.Services;

internal static class ErrorBlobs
{
    /// <summary>Writes a JSON blob only if none exists there yet; returns false when one did (a redelivery).</summary>
    public static async Task<bool> TryCreateJsonAsync<T>(BlobContainerClient container, string name, T value, CancellationToken ct)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, BoxManifest.JsonOptions);
        try
        {
            await container.GetBlobClient(name).UploadAsync(new BinaryData(bytes), new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            }, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409 || ex.ErrorCode == BlobErrorCode.BlobAlreadyExists)
        {
            return false;
        }
    }

    public static JobError Error(string manifest, string? requestId, string code, string message) => new()
    {
        Manifest = manifest,
        RequestId = requestId,
        Error = new ErrorInfo(code, message),
        CreatedUtc = DateTimeOffset.UtcNow,
    };
}
