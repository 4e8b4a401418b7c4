namespace GPT4RoI.Core.Inference;

/// <summary>Why generation stopped.</summary>
public enum StopReason
{
    /// <summary>A stop string (the template's <c>###</c>, or a request's own) appeared in the text.</summary>
    StopString,

    /// <summary>The model produced the end-of-sequence token.</summary>
    EndOfSequence,

    /// <summary>The answer reached the request's max_new_tokens.</summary>
    MaxNewTokens,

    /// <summary>The caller stopped it (<see cref="Generator.Stop"/>): the answer is the text generated so far, recorded
    /// like any other.</summary>
    Stopped,
}
