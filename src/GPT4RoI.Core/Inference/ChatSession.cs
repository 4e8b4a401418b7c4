using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Text;

namespace GPT4RoI.Core.Inference;

/// <summary>
/// One conversation about one image: boxes accumulate and are numbered across turns, as in GPT4RoI's demo.
/// Not thread-safe (one turn at a time); the engine it uses is.
/// </summary>
public sealed class ChatSession
{
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

    public ImageFeatures Features { get; }
    public Conversation Conversation { get; }
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
        Action<TokenEvent>? onToken = null, bool captureFirstLogits = false, CancellationToken cancellationToken = default)
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

            var result = _engine.Generate(this, options ?? GenerationOptions.Greedy, onToken, captureFirstLogits, cancellationToken);
            Conversation.SetAnswer(result.Answer);
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
