using System.Threading.Channels;
using GPT4RoI.Core.Services;

namespace GPT4RoI.Functions.Sessions;

/// <summary>A request's subscription to the tokens of one turn (<see cref="TurnStreams.Subscribe"/>).</summary>
public sealed class TurnSubscription : IDisposable
{
    // Unbounded: a turn has at most max_new_tokens deltas, and the activity must never wait for a slow reader.
    private readonly Channel<AnswerDelta> _tokens = Channel.CreateUnbounded<AnswerDelta>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TurnStreams _owner;
    private int _claimed;

    internal TurnSubscription(TurnStreams owner, string turnId)
    {
        _owner = owner;
        TurnId = turnId;
    }

    /// <summary>The turn listened to.</summary>
    public string TurnId { get; }

    /// <summary>The tokens as the activity produces them; completes after the turn is in the transcript.</summary>
    public ChannelReader<AnswerDelta> Tokens => _tokens.Reader;

    internal ChannelWriter<AnswerDelta> Writer => _tokens.Writer;

    internal bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;

    public void Dispose()
    {
        _owner.Remove(this);
        _tokens.Writer.TryComplete();
    }
}
