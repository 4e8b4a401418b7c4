using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;

namespace GPT4RoI.Functions.Jobs;

/// <summary>Writes result and error JSON into the results container, each at most once.</summary>
internal static class ResultBlobs
{
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
            }, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409 || ex.ErrorCode == BlobErrorCode.BlobAlreadyExists)
        {
            return false;
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
