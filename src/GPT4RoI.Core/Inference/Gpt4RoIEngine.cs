using System.Diagnostics;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Models;
using GPT4RoI.Core.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace GPT4RoI.Core.Inference;

/// <summary>
/// The GPT4RoI pipeline over an exported model folder: vision graph (cached per image), C# multi-level
/// RoIAlign, region head, embedding splice, and the decode loop (<see cref="DecodeScheduler"/>: continuous batching
/// over a fixed-capacity key/value cache). One instance is shared by all requests: the ONNX Runtime sessions are
/// thread-safe, everything a conversation changes lives in its own <see cref="ChatSession"/>, and each answer is a
/// <see cref="Generator"/>. At most <see cref="EngineOptions.MaxConcurrency"/> vision/region-head runs and
/// <see cref="BatchCapacity"/> answers run at once.
/// </summary>
public sealed class Gpt4RoIEngine : IDisposable
{
    private readonly ILogger _logger;
    private readonly OrtModel _ort;
    private readonly float[] _embeddings;
    private readonly ImageFeatureCache _cache;
    private readonly SemaphoreSlim _slots;
    private readonly DecodeScheduler _scheduler;
    private readonly OrtRunClock _clock = new();
    private readonly EngineOptions _options;
    private readonly int _patchId;
    private readonly int _bboxId;
    private readonly RoiAlignOptions _roiOptions;
    private string? _modelChange;

    /// <summary>Loads and validates a model folder and opens its graphs (CUDA when available, else CPU).</summary>
    /// <exception cref="ModelLoadException">The folder, its manifest or a file is missing or wrong.</exception>
    public Gpt4RoIEngine(EngineOptions options, ILogger<Gpt4RoIEngine>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var sw = Stopwatch.StartNew();
        Folder = ModelFolder.Open(options.ModelPath, options.Variant, options.Verification);
        var m = Folder.Manifest;
        using (var tok = File.OpenRead(Folder.FilePath(m.Tokenizer.File)))
        {
            try
            {
                Tokenizer = new RoiTokenizer(tok, m.Tokenizer.AddedTokens, m.Tokenizer.BosId, m.Tokenizer.EosId,
                    m.Tokenizer.AddBos, m.Tokenizer.SpecialTokens);
            }
            catch (ArgumentException ex)
            {
                throw new ModelLoadException($"{Folder.FilePath("manifest.json")}: tokenizer: {ex.Message}", ex);
            }
        }

        Template = PromptTemplate.FromManifest(m);
        Preprocess = new PreprocessSettings(m.Dims.ImageSize, m.Preprocess.Mean, m.Preprocess.Std, PreprocessSettings.ParseMode(m.Preprocess.Mode));
        DefaultGeneration = GenerationOptions.FromManifest(m.Generation, options.MaxNewTokensLimit);
        Logs.ModelBehaviour(_logger, m.ModelId, Preprocess.Mode.ToString(), DefaultGeneration.Temperature, DefaultGeneration.TopK,
            DefaultGeneration.TopP, DefaultGeneration.MaxNewTokens, Template.QuestionRules is not null, Tokenizer.SpecialTokens.Count);
        _embeddings = Folder.ReadEmbeddings();
        _patchId = m.Tokenizer.AddedTokens[m.Prompt.ImageTokens.Patch];
        _bboxId = m.Tokenizer.AddedTokens[Template.RegionToken];
        _roiOptions = new RoiAlignOptions { ImageSize = m.Dims.ImageSize, OutputSize = m.Dims.RoiSize, SamplingRatio = m.Dims.SamplingRatio };
        _ort = new OrtModel(Folder, options, _logger);
        _cache = new ImageFeatureCache(options.ImageCacheBytes);
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        var capacity = options.KvCapacity > 0 ? options.KvCapacity : Math.Min(m.Dims.MaxPositions, 4096);
        var slotBytes = 2L * m.Dims.Layers * m.Dims.Heads * capacity * m.Dims.HeadDim * (Folder.IsFloat16 ? 2 : 4);
        var slots = (int)Math.Clamp(options.KvCacheBytes / slotBytes, 1, options.MaxBatch);
        _scheduler = new DecodeScheduler(_ort.Decoder, _ort.RunOptions, Folder, _embeddings, slots, capacity, _clock, _logger);
        Logs.ModelLoaded(_logger, m.ModelId, Folder.Variant, Folder.Path, _ort.ExecutionProvider, sw.ElapsedMilliseconds);
    }

    /// <summary>The validated model folder and its chosen variant.</summary>
    public ModelFolder Folder { get; }

    /// <summary>The model's manifest.</summary>
    public ModelManifest Manifest => Folder.Manifest;

    /// <summary>The manifest's model id.</summary>
    public string ModelId => Folder.Manifest.ModelId;

    /// <summary><c>CUDA</c> or <c>CPU</c>: the provider the graphs run on.</summary>
    public string ExecutionProvider => _ort.ExecutionProvider;

    /// <summary>The model as results name it: id, variant, execution provider.</summary>
    public ModelInfo ModelInfo => new(ModelId, Folder.Variant, ExecutionProvider);

    /// <summary>The model's tokenizer.</summary>
    public RoiTokenizer Tokenizer { get; }

    /// <summary>The model's prompt template.</summary>
    public PromptTemplate Template { get; }

    /// <summary>The model's input geometry and normalisation.</summary>
    public PreprocessSettings Preprocess { get; }

    /// <summary>The decoding settings of a request that gives none: the manifest's <c>generation</c>
    /// (<see cref="GenerationOptions.FromManifest"/>), <c>max_new_tokens</c> at most <see cref="EngineOptions.MaxNewTokensLimit"/>.</summary>
    public GenerationOptions DefaultGeneration { get; }

    /// <summary>The image feature cache.</summary>
    public ImageFeatureCache Cache => _cache;

    /// <summary>The options the engine was created with.</summary>
    public EngineOptions Options => _options;

    /// <summary>
    /// Checks that the model folder's files still have the size and modification time they had when the engine loaded
    /// them (<see cref="ModelFolder.FindChange"/>). Once a change is seen it is kept: the graphs and tables in memory no
    /// longer match the folder, so the engine refuses further work until the instance restarts. Returns null while
    /// unchanged, else what changed (logged once).
    /// </summary>
    public string? CheckModelFiles()
    {
        if (Volatile.Read(ref _modelChange) is { } known)
        {
            return known;
        }

        if (Folder.FindChange() is not { } change)
        {
            return null;
        }

        if (Interlocked.CompareExchange(ref _modelChange, change, null) is null)
        {
            Logs.ModelFilesChanged(_logger, change);
        }

        return _modelChange;
    }

    /// <exception cref="ModelLoadException">A model file changed under the running engine.</exception>
    private void EnsureModelUnchanged()
    {
        if (CheckModelFiles() is { } change)
        {
            throw new ModelLoadException($"the model folder changed under the running engine ({change}); restart the instance with an unchanged model folder");
        }
    }

    /// <summary>Starts a conversation about one decoded image (its features are computed or taken from the cache).</summary>
    public ChatSession StartSession(DecodedImage image, PromptLimits? limits = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var features = EncodeImage(image, cancellationToken);
        return new ChatSession(this, features, new Conversation(Template, limits ?? PromptLimits.Default));
    }

    /// <summary>Image tokens and fused maps for an image, from the cache when the same bytes were seen before.</summary>
    /// <exception cref="ModelLoadException">A model file changed under the running engine.</exception>
    public ImageFeatures EncodeImage(DecodedImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        EnsureModelUnchanged();
        if (_cache.TryGet(image.Sha256, out var cached))
        {
            Gpt4RoITelemetry.ImageCacheLookups.Add(1, Gpt4RoITelemetry.CacheHit);
            Activity.Current?.SetTag(Gpt4RoITelemetry.CacheResultTag, "hit");
            return cached!;
        }

        Gpt4RoITelemetry.ImageCacheLookups.Add(1, Gpt4RoITelemetry.CacheMiss);
        Activity.Current?.SetTag(Gpt4RoITelemetry.CacheResultTag, "miss");
        using var span = Gpt4RoITelemetry.Source.StartActivity(Gpt4RoITelemetry.VisionSpan);
        span?.SetTag("gpt4roi.image.width", image.Width);
        span?.SetTag("gpt4roi.image.height", image.Height);
        var sw = Stopwatch.StartNew();
        var d = Manifest.Dims;
        var pixels = new float[3 * d.ImageSize * d.ImageSize];
        ImagePreprocessor.WritePixels(image.Image, Preprocess, pixels);
        _slots.Wait(cancellationToken);
        try
        {
            var names = Manifest.Graphs["vision"];
            using var input = CreateFloatTensor(pixels, [1, 3, d.ImageSize, d.ImageSize]);
            var started = Stopwatch.GetTimestamp();
            using var outputs = _ort.Vision.Run(_ort.RunOptions, names.Inputs, [input], names.Outputs);
            _clock.Add(OrtRunClock.Vision, started);
            var tokens = ReadFloats(outputs[0]);
            var maps = new float[d.NumLevels][];
            for (var i = 0; i < d.NumLevels; i++)
            {
                maps[i] = ReadFloats(outputs[1 + i]);
            }

            var features = new ImageFeatures(image.Sha256, image.Width, image.Height, tokens, maps);
            _cache.Add(features);
            Logs.ImageEncoded(_logger, image.Sha256, sw.ElapsedMilliseconds, _cache.Hits, _cache.Misses);
            return features;
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>RoIAlign output [N, levels, roi, roi, C] for normalised boxes (N*4 floats).</summary>
    public float[] AlignRegions(ImageFeatures features, ReadOnlySpan<float> boxesNorm)
    {
        ArgumentNullException.ThrowIfNull(features);
        var d = Manifest.Dims;
        var n = boxesNorm.Length / 4;
        using var span = Gpt4RoITelemetry.Source.StartActivity(Gpt4RoITelemetry.RoiAlignSpan);
        span?.SetTag("gpt4roi.regions", n);
        var output = new float[RoiAlign.OutputLength(n, d.NumLevels, d.RoiSize, d.RegionWidth)];
        var levels = new RoiAlignLevel[d.NumLevels];
        for (var i = 0; i < d.NumLevels; i++)
        {
            levels[i] = RoiAlignLevel.Square(features.FusedMaps[i], d.FeatureMapSizes[i], d.RegionWidth, d.FeatureStrides[i]);
        }

        RoiAlign.Compute(levels, boxesNorm, output, _roiOptions);
        return output;
    }

    /// <summary>One embedding per box: RoIAlign then the region head. Returns [N, hidden].</summary>
    public float[] RegionEmbeddings(ImageFeatures features, ReadOnlySpan<float> boxesNorm)
    {
        var n = boxesNorm.Length / 4;
        if (n == 0)
        {
            return [];
        }

        var d = Manifest.Dims;
        var rois = AlignRegions(features, boxesNorm);
        var boxes = boxesNorm.ToArray();
        var names = Manifest.Graphs["region_head"];
        using var span = Gpt4RoITelemetry.Source.StartActivity(Gpt4RoITelemetry.RegionHeadSpan);
        span?.SetTag("gpt4roi.regions", n);
        using var roiValue = CreateFloatTensor(rois, [n, d.NumLevels, d.RoiSize, d.RoiSize, d.RegionWidth]);
        using var boxValue = CreateFloatTensor(boxes, [n, 4]);
        var started = Stopwatch.GetTimestamp();
        using var outputs = _ort.RegionHead.Run(_ort.RunOptions, names.Inputs, [roiValue, boxValue], names.Outputs);
        _clock.Add(OrtRunClock.RegionHead, started);
        return ReadFloats(outputs[0]);
    }

    /// <summary>Answers decoded together at most (the key/value cache's slots).</summary>
    public int BatchCapacity => _scheduler.Slots;

    /// <summary>Positions a conversation may use (prompt and answer), set by the key/value cache's capacity.</summary>
    public int ConversationCapacity => _scheduler.Capacity - 1;

    /// <summary>Counters of the decode loop: prefills, batched steps, tokens, allocation per token.</summary>
    public DecodeStatistics DecodeStatistics => _scheduler.Statistics;

    /// <summary>Time spent inside ONNX Runtime per graph since the engine was loaded.</summary>
    public OrtRunTimes OrtRunTimes => _clock.Read();

    /// <summary>Builds the next answer's sequence for a conversation: the prompt's token ids and spliced embeddings, and
    /// where its earlier keys/values may still be.</summary>
    internal DecodeSequence CreateSequence(ChatSession session, GenerationOptions options, bool captureFirstLogits, CancellationToken cancellationToken)
    {
        EnsureModelUnchanged();
        options.Validate(_options.MaxNewTokensLimit);
        var d = Manifest.Dims;
        var conv = session.Conversation;
        var promptIds = Tokenizer.Encode(conv.BuildPrompt(d.NumPatches), addBos: true);
        var total = promptIds.Length + options.MaxNewTokens;
        if (total > ConversationCapacity)
        {
            throw new PromptException(ErrorCode.LimitExceeded,
                $"the conversation needs {promptIds.Length} prompt tokens + {options.MaxNewTokens} new tokens; the limit is {ConversationCapacity}");
        }

        var hidden = d.Hidden;
        var bboxOrder = conv.BboxRegions;
        var regionEmbeddings = session.RegionEmbeddingsFor(conv.BoxCount);
        var embeds = new float[promptIds.Length * hidden];
        int patch = 0, bbox = 0;
        for (var t = 0; t < promptIds.Length; t++)
        {
            var id = promptIds[t];
            var dst = embeds.AsSpan(t * hidden, hidden);
            if (id == _patchId)
            {
                if (patch >= d.NumPatches)
                {
                    throw new PromptException($"the prompt has more than {d.NumPatches} image patch tokens");
                }

                session.Features.ImageTokens.AsSpan(patch * hidden, hidden).CopyTo(dst);
                patch++;
            }
            else if (id == _bboxId)
            {
                if (bbox >= bboxOrder.Count)
                {
                    throw new PromptException($"the prompt has more {Template.RegionToken} tokens than regions");
                }

                regionEmbeddings.AsSpan(bboxOrder[bbox] * hidden, hidden).CopyTo(dst);
                bbox++;
            }
            else
            {
                CopyEmbedding(id, dst);
            }
        }

        if (patch != d.NumPatches || bbox != bboxOrder.Count)
        {
            throw new PromptException($"the prompt has {patch} image patches and {bbox} {Template.RegionToken} tokens; expected {d.NumPatches} and {bboxOrder.Count}");
        }

        return new DecodeSequence(promptIds, embeds, options, this, session.HintFor(promptIds), captureFirstLogits, cancellationToken);
    }

    /// <summary>Hands a sequence to the decode loop.</summary>
    internal void Submit(DecodeSequence sequence) => _scheduler.Submit(sequence);

    internal void LogGenerated(GenerationResult result)
    {
        Logs.Generated(_logger, result.GeneratedTokenIds.Count, result.PromptTokenIds.Count, result.ReusedPromptTokens,
            (long)(result.PrefillMilliseconds + result.DecodeMilliseconds), result.StopReason.ToString());
        var generated = result.GeneratedTokenIds.Count;
        Gpt4RoITelemetry.TokensGenerated.Add(generated);
        Gpt4RoITelemetry.PromptTokens.Add(result.PromptTokenIds.Count - result.ReusedPromptTokens);
        Gpt4RoITelemetry.GenerationDuration.Record((result.PrefillMilliseconds + result.DecodeMilliseconds) / 1000);
        // Tokens after the first over the time they took (the first token's time is the prefill).
        if (generated > 1 && result.DecodeMilliseconds > 0)
        {
            Gpt4RoITelemetry.TokensPerSecond.Record((generated - 1) / (result.DecodeMilliseconds / 1000));
        }
    }

    private void CopyEmbedding(int id, Span<float> destination)
    {
        var hidden = Manifest.Dims.Hidden;
        if ((uint)id >= (uint)Manifest.Dims.VocabSize)
        {
            throw new InvalidOperationException($"token id {id} is outside the vocabulary of {Manifest.Dims.VocabSize}");
        }

        _embeddings.AsSpan(id * hidden, hidden).CopyTo(destination);
    }

    /// <summary>A float input in the variant's element type (fp16 graphs take and return Float16).</summary>
    private OrtValue CreateFloatTensor(float[] data, long[] shape)
    {
        if (!Folder.IsFloat16)
        {
            var length = 1L;
            foreach (var s in shape)
            {
                length *= s;
            }

            return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data.AsMemory(0, (int)length), shape);
        }

        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float16, shape);
        var span = value.GetTensorMutableDataAsSpan<Float16>();
        HalfPrecision.ToHalf(data.AsSpan(0, span.Length), span);
        return value;
    }

    private static float[] ReadFloats(OrtValue value)
    {
        if (value.GetTensorTypeAndShape().ElementDataType == TensorElementType.Float16)
        {
            var half = value.GetTensorDataAsSpan<Float16>();
            var result = new float[half.Length];
            HalfPrecision.ToSingle(half, result);
            return result;
        }

        return value.GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Stops the decode loop (unfinished answers fail) and closes the graphs.</summary>
    public void Dispose()
    {
        _scheduler.Dispose();
        _ort.Dispose();
        _slots.Dispose();
    }
}
