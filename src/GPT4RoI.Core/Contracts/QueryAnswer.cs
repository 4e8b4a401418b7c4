using System.Diagnostics.CodeAnalysis;

namespace GPT4RoI.Core.Contracts;

/// <summary>A single question's answer with the image and model it came from (CLI <c>ask --json</c>, <c>/api/query</c>).</summary>
public sealed record QueryAnswer : TurnResult
{
    [SetsRequiredMembers]
    public QueryAnswer(TurnResult turn, ImageSummary image, ModelInfo model)
        : base(turn)
    {
        Image = image;
        Model = model;
    }

    public ImageSummary Image { get; init; }
    public ModelInfo Model { get; init; }
}
