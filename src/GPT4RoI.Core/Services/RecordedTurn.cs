using GPT4RoI.Core.Imaging;

namespace GPT4RoI.Core.Services;

/// <summary>A turn answered earlier: the question, the boxes it introduced and the answer given.</summary>
public sealed record RecordedTurn(string Question, IReadOnlyList<BoundingBox> Regions, string Answer);
