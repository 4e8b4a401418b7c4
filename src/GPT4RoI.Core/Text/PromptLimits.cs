namespace GPT4RoI.Core.Text;

/// <summary>Limits a <see cref="Conversation"/> enforces on user input.</summary>
/// <param name="MaxQuestionChars">Longest question, in code points (Python <c>len</c>); prompt.py's MAX_QUESTION_CHARS.</param>
/// <param name="MaxRegions">Most boxes in one conversation; prompt.py's MAX_REGIONS.</param>
/// <param name="MaxTurns">Most questions in one conversation (not in prompt.py: bounds the prompt length).</param>
public sealed record PromptLimits(int MaxQuestionChars = 4096, int MaxRegions = 32, int MaxTurns = 16)
{
    /// <summary>The defaults: 4096 characters, 32 regions, 16 turns.</summary>
    public static PromptLimits Default { get; } = new();
}
