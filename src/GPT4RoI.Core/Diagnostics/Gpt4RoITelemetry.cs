using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GPT4RoI.Core.Diagnostics;

/// <summary>
/// The engine's traces and metrics, under one name (<see cref="Name"/>) for both, so a host subscribes with
/// <c>AddSource(Gpt4RoITelemetry.Name)</c> and <c>AddMeter(Gpt4RoITelemetry.Name)</c>. Nothing is recorded unless a
/// listener (an OpenTelemetry provider, <c>dotnet-counters</c>) subscribes.
/// <para>Spans: one per request (<see cref="QuerySpan"/>, <see cref="ConversationTurnSpan"/>, <see cref="JobSpan"/>)
/// with children <see cref="ImageDecodeSpan"/>, <see cref="VisionSpan"/>, <see cref="RoiAlignSpan"/>, <see cref="RegionHeadSpan"/> and
/// <see cref="GenerateSpan"/> (prefill and decoding of one answer, in the decode loop).</para>
/// <para>Metrics: <see cref="TokensGenerated"/>, <see cref="PromptTokens"/>, <see cref="GenerationDuration"/>,
/// <see cref="TokensPerSecond"/>, <see cref="QueueWait"/> (tag <c>gpt4roi.queue</c>: <c>admission</c> or
/// <c>decode</c>), <see cref="ImageCacheLookups"/> (tag <c>gpt4roi.cache.result</c>: <c>hit</c> or <c>miss</c>; the
/// hit rate is hits over all lookups) and <see cref="BatchSize"/> (active answers per decode step).</para>
/// </summary>
public static class Gpt4RoITelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "GPT4RoI";

    /// <summary>Span: one <c>POST /api/query</c> or <c>gpt4roi ask</c> question.</summary>
    public const string QuerySpan = "gpt4roi.query";

    /// <summary>Span: one turn of a stored conversation (the session activity).</summary>
    public const string ConversationTurnSpan = "gpt4roi.conversation_turn";

    /// <summary>Span: one box manifest (the queue job, <c>gpt4roi batch</c>).</summary>
    public const string JobSpan = "gpt4roi.job";

    /// <summary>Span: decoding one image, with its checks (limits, metadata budget, truncation, orientation); tags
    /// <c>gpt4roi.image.bytes</c>, <c>.format</c>, <c>.width</c>, <c>.height</c>; status Error with the error code when refused.</summary>
    public const string ImageDecodeSpan = "gpt4roi.image_decode";

    /// <summary>Span: the vision graph for one image (absent when the features came from the cache; the request
    /// span's <c>gpt4roi.cache.result</c> tag says which).</summary>
    public const string VisionSpan = "gpt4roi.vision";

    /// <summary>Span: multi-level RoIAlign of a turn's new boxes (C#).</summary>
    public const string RoiAlignSpan = "gpt4roi.roi_align";

    /// <summary>Span: the region head graph for a turn's new boxes.</summary>
    public const string RegionHeadSpan = "gpt4roi.region_head";

    /// <summary>Span: one answer's generation, from its hand-over to the decode loop to its last token (queue wait,
    /// prefill and batched decode steps).</summary>
    public const string GenerateSpan = "gpt4roi.generate";

    /// <summary>Queue name tag of <see cref="QueueWait"/>: <c>admission</c> (<c>QueryAdmission</c>) or <c>decode</c>
    /// (waiting for a decode loop slot).</summary>
    public const string QueueTag = "gpt4roi.queue";

    /// <summary>Tag of <see cref="ImageCacheLookups"/> and of request spans: <c>hit</c> or <c>miss</c>.</summary>
    public const string CacheResultTag = "gpt4roi.cache.result";

    private static readonly string? Version = typeof(Gpt4RoITelemetry).Assembly.GetName().Version?.ToString();

    /// <summary>The activity source of every span above.</summary>
    public static ActivitySource Source { get; } = new(Name, Version);

    /// <summary>The meter of every instrument below.</summary>
    public static Meter Meter { get; } = new(Name, Version);

    /// <summary>Counter <c>gpt4roi.tokens.generated</c>: tokens generated (answers of every host).</summary>
    public static Counter<long> TokensGenerated { get; } =
        Meter.CreateCounter<long>("gpt4roi.tokens.generated", "{token}", "Tokens generated");

    /// <summary>Counter <c>gpt4roi.tokens.prompt</c>: prompt tokens prefilled (reused cache rows not counted).</summary>
    public static Counter<long> PromptTokens { get; } =
        Meter.CreateCounter<long>("gpt4roi.tokens.prompt", "{token}", "Prompt tokens prefilled");

    /// <summary>Histogram <c>gpt4roi.generation.duration</c> (s): prefill and decoding of one answer.</summary>
    public static Histogram<double> GenerationDuration { get; } =
        Meter.CreateHistogram<double>("gpt4roi.generation.duration", "s", "Prefill and decoding time of one answer");

    /// <summary>Histogram <c>gpt4roi.generation.tokens_per_second</c>: one answer's generated tokens over its decoding
    /// time (answers of one token are not recorded).</summary>
    public static Histogram<double> TokensPerSecond { get; } =
        Meter.CreateHistogram<double>("gpt4roi.generation.tokens_per_second", "{token}/s", "Decoding speed of one answer");

    /// <summary>Histogram <c>gpt4roi.queue.wait</c> (s): time a question waited for admission or a decode slot.</summary>
    public static Histogram<double> QueueWait { get; } =
        Meter.CreateHistogram<double>("gpt4roi.queue.wait", "s", "Time waiting for admission or a decode slot");

    /// <summary>Counter <c>gpt4roi.image_cache.lookups</c>, tagged hit or miss.</summary>
    public static Counter<long> ImageCacheLookups { get; } =
        Meter.CreateCounter<long>("gpt4roi.image_cache.lookups", "{lookup}", "Image feature cache lookups");

    /// <summary>Histogram <c>gpt4roi.decode.batch_size</c>: answers advanced by one batched decode step.</summary>
    public static Histogram<int> BatchSize { get; } =
        Meter.CreateHistogram<int>("gpt4roi.decode.batch_size", "{sequence}", "Answers per batched decode step");

    internal static readonly KeyValuePair<string, object?> AdmissionQueue = new(QueueTag, "admission");
    internal static readonly KeyValuePair<string, object?> DecodeQueue = new(QueueTag, "decode");
    internal static readonly KeyValuePair<string, object?> CacheHit = new(CacheResultTag, "hit");
    internal static readonly KeyValuePair<string, object?> CacheMiss = new(CacheResultTag, "miss");
}
