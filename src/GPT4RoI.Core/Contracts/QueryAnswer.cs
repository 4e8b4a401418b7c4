using System.Diagnostics.CodeAnalysis;

namespace GPT4RoI.Core.Contracts;

/// <summary>A single question's answer with the image and model it came from (CLI <c>ask --json</c>, <c>/api/query</c>).</summary>
public sealed record QueryAnswer : TurnResult
{
    /// <summary>An answer made of a turn's result and the image and model it came from.</summary>
    /// <param name="turn">The answered turn; its fields are copied.</param>
    /// <param name="image">The image asked about.</param>
    /// <param name="model">The model that answered.</param>
    [SetsRequiredMembers]
    public QueryAnswer(TurnResult turn, ImageSummary image, ModelInfo model)
        : base(turn)
    {
        Image = image;
        Model = model;
    }

    /// <summary>The image asked about (JSON <c>image</c>).</summary>
    public ImageSummary Image { get; init; }
    /// <summary>The model that answered (JSON <c>model</c>).</summary>
    public ModelInfo Model { get; init; }
}
