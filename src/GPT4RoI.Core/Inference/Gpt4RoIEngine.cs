using System.Diagnostics;
using System.Runtime.InteropServices;
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
/// RoIAlign, region head, embedding splice, and a KV-cached decoder loop. One instance is shared by all
/// requests: the ONNX Runtime sessions are thread-safe, and everything a request changes lives in its own
/// <see cref="ChatSession"/>. At most <see cref="EngineOptions.MaxConcurrency"/> requests run at once.
/// </summary>
public sealed class Gpt4RoIEngine : IDisposable
{
    private readonly ILogger _logger;
    private readonly OrtModel _ort;
    private readonly float[] _embeddings;
    private readonly ImageFeatureCache _cache;
    private readonly SemaphoreSlim _slots;
    private readonly EngineOptions _options;
    private readonly int _patchId;
    private readonly int _bboxId;
    private readonly RoiAlignOptions _roiOptions;

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
            Tokenizer = new RoiTokenizer(tok, m.Tokenizer.AddedTokens, m.Tokenizer.BosId, m.Tokenizer.EosId);
        }

        Template = PromptTemplate.FromManifest(m);
        Preprocess = new PreprocessSettings(m.Dims.ImageSize, m.Preprocess.Mean, m.Preprocess.Std);
        _embeddings = Folder.ReadEmbeddings();
        _patchId = m.Tokenizer.AddedTokens[m.Prompt.ImageTokens.Patch];
        _bboxId = m.Tokenizer.AddedTokens[Template.RegionToken];
        _roiOptions = new RoiAlignOptions { ImageSize = m.Dims.ImageSize, OutputSize = m.Dims.RoiSize, SamplingRatio = m.Dims.SamplingRatio };
        _ort = new OrtModel(Folder, options, _logger);
        _cache = new ImageFeatureCache(options.ImageCacheBytes);
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
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

    /// <summary>The image feature cache.</summary>
    public ImageFeatureCache Cache => _cache;

    /// <summary>The options the engine was created with.</summary>
    public EngineOptions Options => _options;

    /// <summary>Starts a conversation about one decoded image (its features are computed or taken from the cache).</summary>
    public ChatSession StartSession(DecodedImage image, PromptLimits? limits = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var features = EncodeImage(image, cancellationToken);
        return new ChatSession(this, features, new Conversation(Template, limits ?? PromptLimits.Default));
    }

    /// <summary>Image tokens and fused maps for an image, from the cache when the same bytes were seen before.</summary>
    public ImageFeatures EncodeImage(DecodedImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (_cache.TryGet(image.Sha256, out var cached))
        {
            return cached!;
        }

        var sw = Stopwatch.StartNew();
        var d = Manifest.Dims;
        var pixels = new float[3 * d.ImageSize * d.ImageSize];
        ImagePreprocessor.WritePixels(image.Image, Preprocess, pixels);
        _slots.Wait(cancellationToken);
        try
        {
            var names = Manifest.Graphs["vision"];
            using var input = CreateFloatTensor(pixels, [1, 3, d.ImageSize, d.ImageSize]);
            using var outputs = _ort.Vision.Run(_ort.RunOptions, names.Inputs, [input], names.Outputs);
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
        using var roiValue = CreateFloatTensor(rois, [n, d.NumLevels, d.RoiSize, d.RoiSize, d.RegionWidth]);
        using var boxValue = CreateFloatTensor(boxes, [n, 4]);
        using var outputs = _ort.RegionHead.Run(_ort.RunOptions, names.Inputs, [roiValue, boxValue], names.Outputs);
        return ReadFloats(outputs[0]);
    }

    /// <summary>Runs the decoder over the conversation's prompt and generates one answer.</summary>
    internal GenerationResult Generate(ChatSession session, GenerationOptions options, Action<TokenEvent>? onToken,
        bool captureFirstLogits, CancellationToken cancellationToken)
    {
        options.Validate(_options.MaxNewTokensLimit);
        var d = Manifest.Dims;
        var conv = session.Conversation;
        var promptIds = Tokenizer.Encode(conv.BuildPrompt(d.NumPatches), addBos: true);
        var total = promptIds.Length + options.MaxNewTokens;
        if (total > d.MaxPositions)
        {
            throw new PromptException(ErrorCode.LimitExceeded,
                $"the conversation needs {promptIds.Length} prompt tokens + {options.MaxNewTokens} new tokens; the model allows {d.MaxPositions}");
        }

        var hidden = d.Hidden;
        var bboxOrder = conv.BboxRegions;
        var regionEmbeddings = session.RegionEmbeddingsFor(conv.BoxCount);
        // Keys/values of a prefix this session already ran (an earlier turn) are reused, not recomputed.
        var reuse = session.ReusablePrefix(promptIds);
        var embeds = new float[(promptIds.Length - reuse) * hidden];
        int patch = 0, bbox = 0;
        for (var t = 0; t < promptIds.Length; t++)
        {
            var id = promptIds[t];
            var dst = t >= reuse ? embeds.AsSpan((t - reuse) * hidden, hidden) : Span<float>.Empty;
            if (id == _patchId)
            {
                if (patch >= d.NumPatches)
                {
                    throw new PromptException($"the prompt has more than {d.NumPatches} image patch tokens");
                }

                if (t >= reuse)
                {
                    session.Features.ImageTokens.AsSpan(patch * hidden, hidden).CopyTo(dst);
                }

                patch++;
            }
            else if (id == _bboxId)
            {
                if (bbox >= bboxOrder.Count)
                {
                    throw new PromptException($"the prompt has more {Template.RegionToken} tokens than regions");
                }

                if (t >= reuse)
                {
                    regionEmbeddings.AsSpan(bboxOrder[bbox] * hidden, hidden).CopyTo(dst);
                }

                bbox++;
            }
            else if (t >= reuse)
            {
                CopyEmbedding(id, dst);
            }
        }

        if (patch != d.NumPatches || bbox != bboxOrder.Count)
        {
            throw new PromptException($"the prompt has {patch} image patches and {bbox} {Template.RegionToken} tokens; expected {d.NumPatches} and {bboxOrder.Count}");
        }

        _slots.Wait(cancellationToken);
        try
        {
            return Decode(session, promptIds, reuse, embeds, options, onToken, captureFirstLogits, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    private GenerationResult Decode(ChatSession session, int[] promptIds, int reuse, float[] promptEmbeds,
        GenerationOptions options, Action<TokenEvent>? onToken, bool captureFirstLogits, CancellationToken ct)
    {
        var d = Manifest.Dims;
        var names = Manifest.Graphs["decoder"];
        var hidden = d.Hidden;
        var vocab = d.VocabSize;
        var maxTotal = promptIds.Length + options.MaxNewTokens;
        // Buffers sized once per request; the token loop below only slices them.
        var mask = new long[maxTotal];
        Array.Fill(mask, 1L);
        var positions = new long[maxTotal];
        for (var i = 0; i < maxTotal; i++)
        {
            positions[i] = i;
        }

        var stepEmbed = new float[hidden];
        var logits = new float[vocab];
        var sampler = new TokenSampler(options, vocab);
        var stops = new StopDetector(Template.StopStrings.Concat(options.StopStrings));
        var answerSoFar = string.Empty;
        var generated = new List<int>(options.MaxNewTokens);
        var inputs = new OrtValue[names.Inputs.Length];
        IDisposableReadOnlyCollection<OrtValue>? outputs = null;
        float[]? firstLogits = null;
        var text = string.Empty;
        var stop = StopReason.MaxNewTokens;
        var sw = Stopwatch.StartNew();
        double prefillMs = 0;
        var past = reuse;
        var fed = new List<int>(promptIds.Length + options.MaxNewTokens);
        fed.AddRange(promptIds);
        OrtValue[]? reused = reuse > 0 ? session.PastSlice(reuse, d) : null;
        try
        {
            var t = promptIds.Length - reuse;
            var step = promptEmbeds;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                inputs[0] = CreateFloatTensor(step, [1, t, hidden]);
                inputs[1] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, mask.AsMemory(0, past + t), [1, past + t]);
                inputs[2] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, positions.AsMemory(past, t), [1, t]);
                var ownsPast = outputs is null;
                for (var i = 0; i < 2 * d.Layers; i++)
                {
                    inputs[3 + i] = outputs is not null ? outputs[1 + i] : reused is not null ? reused[i] : CreateEmptyPast(d);
                }

                IDisposableReadOnlyCollection<OrtValue> next;
                try
                {
                    next = _ort.Decoder.Run(_ort.RunOptions, names.Inputs, inputs, names.Outputs);
                }
                finally
                {
                    for (var i = 0; i < 3; i++)
                    {
                        inputs[i].Dispose();
                    }

                    if (ownsPast)
                    {
                        for (var i = 3; i < inputs.Length; i++)
                        {
                            inputs[i].Dispose();
                        }

                        reused = null;
                    }
                }

                outputs?.Dispose();
                outputs = next;
                past += t;
                ReadLastRow(outputs[0], t, vocab, logits);
                if (generated.Count == 0)
                {
                    prefillMs = sw.Elapsed.TotalMilliseconds;
                    if (captureFirstLogits)
                    {
                        firstLogits = (float[])logits.Clone();
                    }
                }

                var token = sampler.Next(logits);
                if (token == Manifest.Tokenizer.EosId)
                {
                    stop = StopReason.EndOfSequence;
                    break;
                }

                generated.Add(token);
                var newText = Tokenizer.Decode(CollectionsMarshal.AsSpan(generated));
                var delta = newText.StartsWith(text, StringComparison.Ordinal) ? newText[text.Length..] : newText;
                text = newText;
                if (onToken is not null)
                {
                    var answer = VisibleAnswer(text, stops);
                    var answerDelta = answer.StartsWith(answerSoFar, StringComparison.Ordinal) ? answer[answerSoFar.Length..] : string.Empty;
                    answerSoFar = answer.Length >= answerSoFar.Length ? answer : answerSoFar;
                    onToken(new TokenEvent(token, delta, answerDelta));
                }

                if (stops.IsStopped(text))
                {
                    stop = StopReason.StopString;
                    break;
                }

                if (generated.Count >= options.MaxNewTokens)
                {
                    break;
                }

                CopyEmbedding(token, stepEmbed);
                fed.Add(token);
                step = stepEmbed;
                t = 1;
            }

            // The session keeps the last keys/values (they cover every fed token) for its next turn.
            session.StoreCache(fed, outputs!);
            outputs = null;
        }
        finally
        {
            outputs?.Dispose();
            foreach (var value in reused ?? [])
            {
                value.Dispose();
            }
        }

        var ms = sw.Elapsed.TotalMilliseconds;
        Logs.Generated(_logger, generated.Count, promptIds.Length, reuse, (long)ms, stop.ToString());
        return new GenerationResult
        {
            Answer = AnswerText.Clean(text, Template),
            RawText = text,
            PromptTokenIds = promptIds,
            GeneratedTokenIds = generated,
            StopReason = stop,
            PrefillMilliseconds = prefillMs,
            DecodeMilliseconds = ms - prefillMs,
            FirstStepLogits = firstLogits,
            ReusedPromptTokens = reuse,
        };
    }

    /// <summary>The part of the answer that can be shown while streaming: no stop string or a start of one at the
    /// end, no (partial) "Assistant:" prefix, cleaned as the final answer is.</summary>
    private string VisibleAnswer(string text, StopDetector stops)
    {
        var stable = text[..stops.StableLength(text)];
        var trimmed = stable.TrimStart();
        if (Template.StripFromAnswer.Any(p => p.StartsWith(trimmed, StringComparison.Ordinal) && p.Length > trimmed.Length))
        {
            return string.Empty;
        }

        return AnswerText.Clean(stable, Template);
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

    private OrtValue CreateEmptyPast(ModelDims d) => Folder.IsFloat16
        ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Memory<Float16>.Empty, [1, d.Heads, 0, d.HeadDim])
        : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Memory<float>.Empty, [1, d.Heads, 0, d.HeadDim]);

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

    private static void ReadLastRow(OrtValue logits, int rows, int vocab, float[] destination)
    {
        if (logits.GetTensorTypeAndShape().ElementDataType == TensorElementType.Float16)
        {
            HalfPrecision.ToSingle(logits.GetTensorDataAsSpan<Float16>().Slice((rows - 1) * vocab, vocab), destination);
            return;
        }

        logits.GetTensorDataAsSpan<float>().Slice((rows - 1) * vocab, vocab).CopyTo(destination);
    }

    /// <summary>Closes the graphs.</summary>
    public void Dispose()
    {
        _ort.Dispose();
        _slots.Dispose();
    }
}
