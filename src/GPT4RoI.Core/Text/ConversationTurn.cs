namespace GPT4RoI.Core.Text;

/// <summary>One question and its answer (null until <see cref="Conversation.SetAnswer"/>).</summary>
/// <param name="Question">The question as the user typed it.</param>
/// <param name="Expanded">The question with its <c>&lt;regionN&gt;</c> tags expanded, as it goes into the prompt.</param>
/// <param name="Answer">The assistant's answer, or null while it is being generated.</param>
public sealed record ConversationTurn(string Question, string Expanded, string? Answer);
