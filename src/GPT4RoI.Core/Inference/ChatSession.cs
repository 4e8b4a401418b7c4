using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Models;
using GPT4RoI.Core.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace GPT4RoI.Core.Inference;

/// <summary>
/// One conversation about one image: boxes accumulate and are numbered across turns, as in GPT4RoI's demo.
/// Not thread-safe (one turn at a time); the engine it uses is.
/// </summary>
public sealed class ChatSession : IDisposable
{
    private List<int> _cachedIds = [];
    private IDisposableReadOnlyCollection<OrtValue>? _cachedOutputs;
    private readonly Gpt4RoIEngine _engine;
    private readonly List<BoundingBox> _boxes = [];
    private readonly List<float> _boxesNorm = [];
    private float[] _regionEmbeddings = [];

    internal ChatSession(Gpt4RoIEngine engine, ImageFeatures features, Conversation conversation)
    {
        _engine = engine;
        Features = features;
        Conversation = conversation;
    }

    /// <summary>The image's features (shared through the engine's cache).</summary>
    public ImageFeatures Features { get; }

    /// <summary>The turns, questions and region numbering so far.</summary>
    public Conversation Conversation { get; }

    /// <summary>Every box given so far, in order: box i is <c>&lt;region{i+1}&gt;</c>.</summary>
    public IReadOnlyList<BoundingBox> Boxes => _boxes;
    /// <summary>Normalised boxes (N*4) in the order they were given.</summary>
    public IReadOnlyList<float> NormalisedBoxes => _boxesNorm;

    /// <summary>
    /// Adds a turn: validates the new boxes and the question (nothing changes when either is rejected),
    /// computes the new regions' embeddings and generates the answer.
    /// </summary>
    /// <exception cref="RegionInputException">A box is not finite, inverted, empty or outside the image.</exception>
    /// <exception cref="PromptException">The question or its region tags are not acceptable.</exception>
    public GenerationResult Ask(string question, IReadOnlyList<BoundingBox>? newBoxes = null, GenerationOptions? options = null,
        Action<TokenEvent>? onToken = null, bool captureFirstLogits = false, CancellationToken cancellationToken = default) =>
        AddTurn(question, newBoxes, () =>
        {
            var result = _engine.Generate(this, options ?? GenerationOptions.Greedy, onToken, captureFirstLogits, cancellationToken);
            return (result, result.Answer);
        });

    /// <summary>
    /// Records a turn answered earlier (e.g. loaded from a stored transcript) without generating: validates the new
    /// boxes and the question as <see cref="Ask"/> does, computes the new regions' embeddings and sets the recorded
    /// answer. Nothing changes when validation fails. The key/value cache is not filled; the next
    /// <see cref="Ask"/> prefills the whole prompt.
    /// </summary>
    /// <exception cref="RegionInputException">A box is not finite, inverted, empty or outside the image.</exception>
    /// <exception cref="PromptException">The question or its region tags are not acceptable.</exception>
    public void Replay(string question, IReadOnlyList<BoundingBox>? newBoxes, string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        AddTurn(question, newBoxes, () => (true, answer));
    }

    /// <summary>Validates the boxes and the question, adds the turn and its regions' embeddings, then takes the
    /// answer from <paramref name="answer"/>; on any failure the session is left as it was.</summary>
    private T AddTurn<T>(string question, IReadOnlyList<BoundingBox>? newBoxes, Func<(T Result, string Answer)> answer)
    {
        ArgumentNullException.ThrowIfNull(question);
        newBoxes ??= [];
        var policy = new BoxPolicy { MaxRegions = Math.Max(0, Conversation.Limits.MaxRegions - _boxes.Count) };
        var norm = newBoxes.Count == 0 ? [] : RegionBoxes.Normalise(newBoxes, Features.Width, Features.Height, policy);
        Conversation.AddTurn(question, newBoxes.Count);
        try
        {
            if (newBoxes.Count > 0)
            {
                var added = _engine.RegionEmbeddings(Features, norm);
                _regionEmbeddings = [.. _regionEmbeddings, .. added];
                _boxes.AddRange(newBoxes);
                _boxesNorm.AddRange(norm);
            }

            var (result, text) = answer();
            Conversation.SetAnswer(text);
            return result;
        }
        catch
        {
            // Leave the conversation as it was before this turn.
            Conversation.RemoveUnansweredTurn();
            if (_boxes.Count > Conversation.BoxCount)
            {
                var extra = _boxes.Count - Conversation.BoxCount;
                _boxes.RemoveRange(Conversation.BoxCount, extra);
                _boxesNorm.RemoveRange(Conversation.BoxCount * 4, extra * 4);
                _regionEmbeddings = _regionEmbeddings[..(Conversation.BoxCount * _engine.Manifest.Dims.Hidden)];
            }

            throw;
        }
    }

    /// <summary>How many leading prompt tokens have keys/values in the cache (at least one token is left to run).</summary>
    internal int ReusablePrefix(IReadOnlyList<int> promptIds)
    {
        if (_cachedOutputs is null)
        {
            return 0;
        }

        var n = Math.Min(Math.Min(_cachedIds.Count, promptIds.Count - 1), CachedLength);
        var i = 0;
        while (i < n && _cachedIds[i] == promptIds[i])
        {
            i++;
        }

        return i;
    }

    private int CachedLength => _cachedOutputs is null ? 0 : (int)_cachedOutputs[1].GetTensorTypeAndShape().Shape[2];

    /// <summary>New past key/value tensors holding the first <paramref name="length"/> cached positions.</summary>
    internal OrtValue[] PastSlice(int length, ModelDims d)
    {
        var cached = CachedLength;
        var result = new OrtValue[2 * d.Layers];
        for (var i = 0; i < result.Length; i++)
        {
            var src = _cachedOutputs![1 + i];
            var type = src.GetTensorTypeAndShape().ElementDataType;
            var dst = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, [1, d.Heads, length, d.HeadDim]);
            var element = type == TensorElementType.Float16 ? 2 : 4;
            var from = src.GetTensorMutableRawData();
            var to = dst.GetTensorMutableRawData();
            var rowBytes = d.HeadDim * element;
            for (var h = 0; h < d.Heads; h++)
            {
                from.Slice(h * cached * rowBytes, length * rowBytes).CopyTo(to.Slice(h * length * rowBytes, length * rowBytes));
            }

            result[i] = dst;
        }

        return result;
    }

    /// <summary>Takes ownership of a decoder output whose present key/values cover <paramref name="ids"/>.</summary>
    internal void StoreCache(List<int> ids, IDisposableReadOnlyCollection<OrtValue> outputs)
    {
        _cachedOutputs?.Dispose();
        _cachedOutputs = outputs;
        _cachedIds = ids;
    }

    /// <summary>Drops the cached keys/values: the next turn prefills its whole prompt.</summary>
    public void ClearKeyValueCache()
    {
        _cachedOutputs?.Dispose();
        _cachedOutputs = null;
        _cachedIds = [];
    }

    /// <summary>Releases the cached keys/values.</summary>
    public void Dispose() => ClearKeyValueCache();

    /// <summary>Region embeddings [count, hidden] of the first <paramref name="count"/> boxes.</summary>
    internal float[] RegionEmbeddingsFor(int count)
    {
        var hidden = _engine.Manifest.Dims.Hidden;
        if (_regionEmbeddings.Length != count * hidden)
        {
            throw new InvalidOperationException($"have embeddings for {_regionEmbeddings.Length / hidden} regions, the conversation has {count}");
        }

        return _regionEmbeddings;
    }
}
