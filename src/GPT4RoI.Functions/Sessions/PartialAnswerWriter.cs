using System.Diagnostics;
using System.Text;
using Azure.Storage.Blobs;
using GPT4RoI.Core.Services;

namespace GPT4RoI.Functions.Sessions;

/// <summary>
/// Relays a streamed turn's answer through storage when its request is on another instance: the text so far goes to
/// <see cref="SessionNames.PartialAnswer"/> at the first token and then at most once per interval (the request reads it
/// at the same cadence), and the blob is deleted once the turn is in the transcript. Called on the activity's thread;
/// generation never waits for it (the engine buffers tokens for the reader). A failed write stops the relay, never
/// the answer: the request then gets the answer whole from the transcript.
/// </summary>
public sealed class PartialAnswerWriter(BlobClient blob, TimeSpan interval, Action<Exception> onFailure)
{
    private readonly StringBuilder _text = new();
    private long _lastWrite;
    private bool _written;
    private bool _dirty;
    private bool _failed;

    /// <summary>Adds a token's text; writes the answer so far when the interval has passed since the last write.</summary>
    public void Add(AnswerDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        _text.Append(delta.Text);
        _dirty = true;
        if (!_written || Stopwatch.GetElapsedTime(_lastWrite) >= interval)
        {
            Write();
        }
    }

    /// <summary>Writes what was added since the last write (the answer's end, before the transcript holds it).</summary>
    public void Flush()
    {
        if (_dirty)
        {
            Write();
        }
    }

    /// <summary>Deletes the relay blob (best effort: a leftover is deleted with the session).</summary>
    public async Task DeleteAsync()
    {
        if (!_written)
        {
            return;
        }

        try
        {
            await blob.DeleteIfExistsAsync().ConfigureAwait(false);
        }
        catch (Azure.RequestFailedException)
        {
            // Deleted with the session's other partial answers when it expires or is deleted.
        }
    }

    private void Write()
    {
        if (_failed)
        {
            return;
        }

        try
        {
            blob.Upload(BinaryData.FromString(_text.ToString()), overwrite: true);
        }
        catch (Azure.RequestFailedException ex)
        {
            _failed = true;
            onFailure(ex);
            return;
        }

        _lastWrite = Stopwatch.GetTimestamp();
        _written = true;
        _dirty = false;
    }
}
