using System.Collections.Concurrent;
using System.Threading.Channels;
using GPT4RoI.Core.Services;

namespace GPT4RoI.Functions.Sessions;

/// <summary>
/// Hands a session turn's tokens from the AnswerTurn activity to the request that submitted the turn, when both run
/// in this process (always so on one instance). The request subscribes before it raises the turn; the activity claims
/// the subscription's writer once, so a retried attempt never streams the answer twice. A turn answered on another
/// instance finds no subscriber: its request sees the answer whole, from the transcript.
/// </summary>
public sealed class TurnStreams
{
    private readonly ConcurrentDictionary<string, TurnSubscription> _open = new(StringComparer.Ordinal);

    /// <summary>Starts listening for the tokens of <paramref name="turnId"/>; dispose to stop.</summary>
    public TurnSubscription Subscribe(string turnId)
    {
        var subscription = new TurnSubscription(this, turnId);
        _open[turnId] = subscription;
        return subscription;
    }

    /// <summary>The writer of <paramref name="turnId"/>'s tokens when a request in this process listens and no earlier
    /// attempt claimed it; null otherwise. The claimer completes it once the turn is in the transcript.</summary>
    public ChannelWriter<AnswerDelta>? Claim(string turnId) =>
        _open.TryGetValue(turnId, out var subscription) && subscription.TryClaim() ? subscription.Writer : null;

    internal void Remove(TurnSubscription subscription) =>
        _open.TryRemove(new KeyValuePair<string, TurnSubscription>(subscription.TurnId, subscription));
}
