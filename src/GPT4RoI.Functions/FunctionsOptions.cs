using System.ComponentModel.DataAnnotations;
using GPT4RoI.Core.Detection;
using GPT4RoI.Core.Models;

namespace GPT4RoI.Functions;

/// <summary>Settings of the app (configuration section <c>Gpt4RoI</c>, e.g. <c>Gpt4RoI__ModelPath</c>);
/// validated when the host starts, so a typo fails the start instead of the first request.</summary>
public sealed class FunctionsOptions : IValidatableObject
{
    public const string Section = "Gpt4RoI";

    /// <summary>Exported model folder; relative paths are taken from the app folder. Default: the shipped tiny model.</summary>
    [Required]
    public string ModelPath { get; set; } = ModelFolder.DefaultRelativePath;
    public string? ModelVariant { get; set; }
    /// <summary>The detector folder for <c>"regions": "detect"</c> manifests and <c>/api/describe</c>, relative to the app
    /// or absolute; loaded on first use (<c>Gpt4RoI__DetectorPath</c>).</summary>
    public string DetectorPath { get; set; } = DetectorFolder.DefaultRelativePath;
    public bool ForceCpu { get; set; }
    /// <summary>Graph runs at once in this instance: 1 for one GPU (with host.json queues.batchSize 1).</summary>
    [Range(1, 64)]
    public int MaxConcurrency { get; set; } = 1;

    /// <summary>How long a manifest's job waits for its image to arrive.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ImageWait { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>How often a waiting job looks again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ImagePollInterval { get; set; } = TimeSpan.FromSeconds(10);

    [Range(1, 64L * 1024 * 1024)]
    public long MaxImageBytes { get; set; } = 20L * 1024 * 1024;
    /// <summary>
    /// Whether lossless WebP images are decoded (one at a time); false refuses them as unsupported_image. ImageSharp
    /// 2.1's lossless WebP decoder allocates without a bound on crafted files (docs/security.md).
    /// </summary>
    public bool AllowLosslessWebp { get; set; } = true;
    /// <summary>Largest box manifest accepted from the inbox.</summary>
    [Range(1, 4L * 1024 * 1024)]
    public long MaxManifestBytes { get; set; } = 256 * 1024;
    /// <summary>Largest JSON request body (or multipart <c>request</c> part) accepted over HTTP.</summary>
    [Range(1024, 4L * 1024 * 1024)]
    public long MaxRequestJsonBytes { get; set; } = 64 * 1024;
    /// <summary>Answers the engine decodes together in one batched step at most (its key/value cache slots, also
    /// bounded by the cache's memory); <see cref="Core.Inference.EngineOptions.MaxBatch"/>.</summary>
    [Range(1, 256)]
    public int MaxBatch { get; set; } = 8;
    /// <summary>HTTP queries admitted at once (running or waiting for an engine slot); more wait up to
    /// <see cref="QueryQueueWait"/> for room, then get 503 + Retry-After. 0 refuses every query (maintenance). Unset:
    /// <see cref="AdmissionPerBatchSlot"/> × the engine's batch capacity (16 with the default 8 slots).</summary>
    [Range(0, 10_000)]
    public int? MaxQueuedQueries { get; set; }

    /// <summary>Queries admitted per batch slot when <see cref="MaxQueuedQueries"/> is unset: one answer decoding in the
    /// slot and one whose image, regions and prompt are ready to take the slot the moment it frees, so the decode loop
    /// never idles for want of admitted work; more would only wait inside the app instead of being told to retry.</summary>
    public const int AdmissionPerBatchSlot = 2;

    /// <summary>The admission bound for an engine that decodes <paramref name="batchCapacity"/> answers at once.</summary>
    public int QueriesAdmitted(int batchCapacity) => MaxQueuedQueries ?? AdmissionPerBatchSlot * batchCapacity;
    /// <summary>How long an HTTP query waits for a free engine slot before answering 503 with Retry-After.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan QueryQueueWait { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>The Retry-After a refused (503) query is given.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan QueryRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A session with no turn for this long expires: its image is deleted, its transcript kept.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);
    /// <summary>How long POST /api/sessions[/{id}/turns] waits for the turn's answer before answering 202.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:03:00")]
    public TimeSpan SessionTurnWait { get; set; } = TimeSpan.FromSeconds(20);
    /// <summary>How often a waiting request looks at the transcript.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan SessionPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);
    /// <summary>How often a streamed turn that has no token yet says it is still waiting (the <c>waiting</c> event):
    /// progress for the reader, and traffic that keeps proxies from closing an idle stream.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan SessionProgressInterval { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>The session orchestration continues as new after this many turns, to bound its history.</summary>
    [Range(1, 1000)]
    public int SessionTurnsPerHistory { get; set; } = 20;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ImagePollInterval > ImageWait)
        {
            yield return new ValidationResult("ImagePollInterval must not exceed ImageWait", [nameof(ImagePollInterval)]);
        }
    }
}
