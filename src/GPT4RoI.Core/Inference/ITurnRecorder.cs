namespace GPT4RoI.Core.Inference;

/// <summary>What a conversation does when its answer ends: record it, or take the unanswered turn back. Called on the
/// decode loop's thread, before the answer's completion is signalled.</summary>
internal interface ITurnRecorder
{
    /// <summary>The answer is finished: record it and where its keys/values stay.</summary>
    void Record(SequenceOutcome outcome);

    /// <summary>The answer failed or was cancelled: leave the conversation as it was before the turn.</summary>
    void TakeBack();
}
