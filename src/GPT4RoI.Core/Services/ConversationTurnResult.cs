using GPT4RoI.Core.Inference;

namespace GPT4RoI.Core.Services;

/// <summary>The answer to the next turn of a rebuilt conversation.</summary>
/// <param name="FirstRegion">The region number of the turn's first new box (boxes are numbered on across turns).</param>
/// <param name="Result">The generation.</param>
/// <param name="ReplayMilliseconds">Time to decode the image and rebuild the earlier turns.</param>
/// <param name="TotalMilliseconds">Time for the whole turn.</param>
public sealed record ConversationTurnResult(int FirstRegion, GenerationResult Result, double ReplayMilliseconds, double TotalMilliseconds);
