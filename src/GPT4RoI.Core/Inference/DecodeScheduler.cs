using System.Collections.Concurrent;
using System.Diagnostics;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Models;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace GPT4RoI.Core.Inference;

/// <summary>
/// The engine's decode loop (continuous batching). One thread owns the decoder and the fixed-capacity key/value cache
/// (<see cref="KvCache"/>): between steps it admits waiting sequences into free cache slots and prefills their prompts
/// one at a time; each step then runs every active sequence's next token as one batch, bound with
/// <see cref="OrtIoBinding"/> to buffers made once, so a steady-state step creates no OrtValue and no managed array.
/// Sequences join and leave between steps; a finished sequence leaves its keys/values in its slot, and its
/// conversation's next turn reuses them when it gets the same slot back before another sequence takes it.
/// </summary>
internal sealed class DecodeScheduler : IDisposable
{
    private readonly InferenceSession _decoder;
    private readonly RunOptions _runOptions;
    private readonly ILogger _logger;
    private readonly string[] _cacheInputs;
    private readonly string[] _cacheOutputs;
    private readonly string _embedsName;
    private readonly string _positionsName;
    private readonly string _logitsName;
    private readonly int _hidden;
    private readonly int _vocab;
    private readonly float[] _embeddingTable;
    private readonly bool _half;
    private readonly KvCache _cache;
    private readonly OrtValue[][] _slotViews;
    private readonly DecodeSequence?[] _active;
    private readonly DecodeSequence?[] _finished;
    private readonly OrtRunClock _clock;
    private readonly long[] _stamps;
    private readonly ConcurrentQueue<DecodeSequence> _incoming = new();
    private readonly Queue<DecodeSequence> _waiting = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Thread _thread;

    // Step buffers, pinned once; the bindings of step size k bind views of their first k rows.
    private readonly float[] _stepEmbeds;
    private readonly Float16[] _stepEmbedsHalf;
    private readonly long[] _stepPositions;
    private readonly float[] _stepLogits;
    private readonly Float16[] _stepLogitsHalf;
    private readonly float[] _row;
    private readonly OrtIoBinding?[] _stepBindings;
    private readonly List<OrtValue> _stepValues = [];

    private long _stampCounter;
    private int _activeCount;
    private volatile bool _stopping;
    private long _prefills, _prefillTokens, _steps, _stepTokens, _stepAllocated, _stepRows;
    private int _maxBatch;

    public DecodeScheduler(InferenceSession decoder, RunOptions runOptions, ModelFolder folder, float[] embeddingTable,
        int slots, int capacity, OrtRunClock clock, ILogger logger)
    {
        _decoder = decoder;
        _clock = clock;
        _runOptions = runOptions;
        _logger = logger;
        var m = folder.Manifest;
        var d = m.Dims;
        var names = m.Graphs["decoder"];
        _embedsName = names.Inputs[0];
        _positionsName = names.Inputs[1];
        _logitsName = names.Outputs[0];
        _cacheInputs = names.Inputs[2..];
        _cacheOutputs = names.Outputs[1..];
        _hidden = d.Hidden;
        _vocab = d.VocabSize;
        _embeddingTable = embeddingTable;
        _half = folder.IsFloat16;
        var type = _half ? TensorElementType.Float16 : TensorElementType.Float;
        _cache = new KvCache(d.Layers, slots, d.Heads, capacity, d.HeadDim, type);
        _slotViews = new OrtValue[slots][];
        for (var s = 0; s < slots; s++)
        {
            _slotViews[s] = _cache.CreateViews(s, 1);
        }

        _active = new DecodeSequence?[slots];
        _finished = new DecodeSequence?[slots];
        _stamps = new long[slots];
        _stepEmbeds = GC.AllocateArray<float>(_half ? 0 : slots * _hidden, pinned: true);
        _stepEmbedsHalf = GC.AllocateArray<Float16>(_half ? slots * _hidden : 0, pinned: true);
        _stepPositions = GC.AllocateArray<long>(slots, pinned: true);
        _stepLogits = GC.AllocateArray<float>(_half ? 0 : slots * _vocab, pinned: true);
        _stepLogitsHalf = GC.AllocateArray<Float16>(_half ? slots * _vocab : 0, pinned: true);
        _row = new float[_vocab];
        _stepBindings = new OrtIoBinding?[slots * slots];
        _thread = new Thread(Loop) { IsBackground = true, Name = "gpt4roi-decode" };
        _thread.Start();
    }

    /// <summary>Sequences decoded together at most (cache slots).</summary>
    public int Slots => _cache.Slots;

    /// <summary>Positions per slot; the last one is scratch, so a conversation may use <c>Capacity - 1</c>.</summary>
    public int Capacity => _cache.Capacity;

    public long CacheBytes => _cache.BytesPerSlot * _cache.Slots;

    public DecodeStatistics Statistics => new(
        Interlocked.Read(ref _prefills), Interlocked.Read(ref _prefillTokens), Interlocked.Read(ref _steps),
        Interlocked.Read(ref _stepTokens), Interlocked.Read(ref _stepAllocated), Volatile.Read(ref _maxBatch),
        Interlocked.Read(ref _stepRows));

    /// <summary>Queues a sequence; its events and completion tell how it goes.</summary>
    public void Submit(DecodeSequence sequence)
    {
        if (_stopping)
        {
            sequence.Fail(new ObjectDisposedException(nameof(Gpt4RoIEngine)));
            return;
        }

        _incoming.Enqueue(sequence);
        _signal.Release();
    }

    private void Loop()
    {
        while (!_stopping)
        {
            if (_activeCount == 0 && _waiting.Count == 0 && _incoming.IsEmpty)
            {
                _signal.Wait();
                continue;
            }

            while (_incoming.TryDequeue(out var arrived))
            {
                _waiting.Enqueue(arrived);
            }

            Admit();
            if (_activeCount > 0)
            {
                Step();
            }
        }

        var gone = new ObjectDisposedException(nameof(Gpt4RoIEngine));
        foreach (var seq in _waiting.Concat(_incoming).Concat(_active.OfType<DecodeSequence>()))
        {
            seq.Fail(gone);
        }
    }

    /// <summary>Moves waiting sequences into free slots and prefills them, oldest first.</summary>
    private void Admit()
    {
        while (_waiting.Count > 0 && _activeCount < _active.Length)
        {
            var seq = _waiting.Dequeue();
            if (seq.Cancellation.IsCancellationRequested)
            {
                seq.Fail(new OperationCanceledException(seq.Cancellation));
                continue;
            }

            var slot = TakeSlot(seq);
            try
            {
                Prefill(seq, slot);
            }
            catch (Exception ex)
            {
                // One sequence's failure (a graph error, a bad token id) is its own: the loop goes on for the others.
                Logs.DecodeStepFailed(_logger, ex, 1);
                Free(slot, keepContents: false);
                seq.Fail(ex);
            }
        }
    }

    private int TakeSlot(DecodeSequence seq)
    {
        var hint = seq.Hint;
        var slot = -1;
        if (hint.Slot >= 0 && hint.Slot < _active.Length && _active[hint.Slot] is null && _stamps[hint.Slot] == hint.Stamp)
        {
            // The conversation's earlier keys/values are still there.
            slot = hint.Slot;
            seq.ReusedTokens = hint.ReusableTokens;
        }
        else
        {
            // The lowest free slot: a step runs over the range of active slots, so keeping them packed at the start
            // keeps every step as narrow as the number of answers (a lone answer in slot 7 would pay for 8 rows).
            for (var s = 0; s < _active.Length; s++)
            {
                if (_active[s] is null)
                {
                    slot = s;
                    break;
                }
            }

            seq.ReusedTokens = 0;
        }

        _active[slot] = seq;
        _activeCount++;
        _stamps[slot] = ++_stampCounter;
        seq.Slot = slot;
        seq.Stamp = _stamps[slot];
        return slot;
    }

    private void Free(int slot, bool keepContents)
    {
        _active[slot] = null;
        _activeCount--;
        if (!keepContents)
        {
            _stamps[slot] = ++_stampCounter;
        }
    }

    private void Prefill(DecodeSequence seq, int slot)
    {
        seq.MarkPrefillStarted();
        var start = seq.ReusedTokens;
        var count = seq.PromptIds.Length - start;
        var embeds = seq.PromptEmbeddings.AsMemory(start * _hidden, count * _hidden);
        var positions = new long[count];
        for (var i = 0; i < count; i++)
        {
            positions[i] = start + i;
        }

        using var embedsValue = _half ? HalfTensor(embeds.Span, [1, count, _hidden]) : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, embeds, [1, count, _hidden]);
        using var positionsValue = OrtValue.CreateTensorValueFromMemory(positions, [1, count]);
        using var binding = _decoder.CreateIoBinding();
        binding.BindInput(_embedsName, embedsValue);
        binding.BindInput(_positionsName, positionsValue);
        binding.BindOutputToDevice(_logitsName, OrtMemoryInfo.DefaultInstance);
        BindCache(binding, _slotViews[slot]);
        var started = Stopwatch.GetTimestamp();
        _decoder.RunWithBinding(_runOptions, binding);
        _clock.Add(OrtRunClock.Prefill, started);
        using var outputs = binding.GetOutputValues();
        ReadRow(outputs[0], count - 1, _row);
        Interlocked.Increment(ref _prefills);
        Interlocked.Add(ref _prefillTokens, count);
        seq.NextPosition = seq.PromptIds.Length;
        if (seq.Accept(_row))
        {
            Free(slot, keepContents: true);
            seq.Publish();
        }
    }

    /// <summary>One token for every active sequence, as one batch over the slots from the first active one to the last
    /// (rows = slots lo..hi-1); idle slots inside that range ride along on their scratch row.</summary>
    private void Step()
    {
        var lo = -1;
        var hi = 0;
        for (var s = 0; s < _active.Length; s++)
        {
            if (_active[s] is { } seq)
            {
                if (seq.Cancellation.IsCancellationRequested)
                {
                    Free(s, keepContents: false);
                    seq.Fail(new OperationCanceledException(seq.Cancellation));
                    continue;
                }

                if (lo < 0)
                {
                    lo = s;
                }

                hi = s + 1;
            }
        }

        if (lo < 0)
        {
            return;
        }

        var k = hi - lo;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var tokens = 0;
        try
        {
            for (var row = 0; row < k; row++)
            {
                var seq = _active[lo + row];
                if (seq is not null)
                {
                    WriteEmbedding(row, seq.LastToken);
                    _stepPositions[row] = seq.NextPosition;
                }
                else
                {
                    // An idle row in the batch: zeros, written to the scratch row of its own slot.
                    ClearEmbedding(row);
                    _stepPositions[row] = Capacity - 1;
                }
            }

            var started = Stopwatch.GetTimestamp();
            _decoder.RunWithBinding(_runOptions, StepBinding(lo, k));
            _clock.Add(OrtRunClock.Step, started);
        }
        catch (Exception ex)
        {
            Logs.DecodeStepFailed(_logger, ex, k);
            for (var s = lo; s < hi; s++)
            {
                if (_active[s] is { } seq)
                {
                    Free(s, keepContents: false);
                    seq.Fail(ex);
                }
            }

            return;
        }

        var active = 0;
        var finished = 0;
        for (var s = lo; s < hi; s++)
        {
            if (_active[s] is not { } seq)
            {
                continue;
            }

            active++;
            seq.NextPosition++;
            tokens++;
            if (seq.Accept(StepRow(s - lo)))
            {
                Free(s, keepContents: true);
                _finished[finished++] = seq;
            }
        }

        Interlocked.Increment(ref _steps);
        Interlocked.Add(ref _stepTokens, tokens);
        Interlocked.Add(ref _stepRows, k);
        Interlocked.Add(ref _stepAllocated, GC.GetAllocatedBytesForCurrentThread() - allocated);
        if (active > _maxBatch)
        {
            Volatile.Write(ref _maxBatch, active);
        }

        if (Gpt4RoITelemetry.BatchSize.Enabled)
        {
            Gpt4RoITelemetry.BatchSize.Record(active);
        }

        // Answers are handed over after the step is counted: whoever awaits one sees the statistics that include it.
        for (var i = 0; i < finished; i++)
        {
            _finished[i]!.Publish();
            _finished[i] = null;
        }
    }

    /// <summary>The binding of a step over k slots from slot lo (made once per range, then reused).</summary>
    private OrtIoBinding StepBinding(int lo, int k)
    {
        var key = (lo * _active.Length) + k - 1;
        if (_stepBindings[key] is { } made)
        {
            return made;
        }

        var binding = _decoder.CreateIoBinding();
        var embeds = _half
            ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _stepEmbedsHalf.AsMemory(0, k * _hidden), [k, 1, _hidden])
            : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _stepEmbeds.AsMemory(0, k * _hidden), [k, 1, _hidden]);
        var positions = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _stepPositions.AsMemory(0, k), [k, 1]);
        var logits = _half
            ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _stepLogitsHalf.AsMemory(0, k * _vocab), [k, 1, _vocab])
            : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _stepLogits.AsMemory(0, k * _vocab), [k, 1, _vocab]);
        _stepValues.AddRange([embeds, positions, logits]);
        binding.BindInput(_embedsName, embeds);
        binding.BindInput(_positionsName, positions);
        binding.BindOutput(_logitsName, logits);
        BindCache(binding, _cache.CreateViews(lo, k));
        _stepBindings[key] = binding;
        return binding;
    }

    /// <summary>Binds each cache tensor as both the input and the output of its layer: the decoder writes the new rows
    /// in place.</summary>
    private void BindCache(OrtIoBinding binding, OrtValue[] views)
    {
        for (var i = 0; i < views.Length; i++)
        {
            binding.BindInput(_cacheInputs[i], views[i]);
            binding.BindOutput(_cacheOutputs[i], views[i]);
        }
    }

    private void WriteEmbedding(int row, int token)
    {
        if ((uint)token >= (uint)_vocab)
        {
            throw new InvalidOperationException($"token id {token} is outside the vocabulary of {_vocab}");
        }

        var source = _embeddingTable.AsSpan(token * _hidden, _hidden);
        if (_half)
        {
            HalfPrecision.ToHalf(source, _stepEmbedsHalf.AsSpan(row * _hidden, _hidden));
        }
        else
        {
            source.CopyTo(_stepEmbeds.AsSpan(row * _hidden, _hidden));
        }
    }

    private void ClearEmbedding(int row)
    {
        if (_half)
        {
            _stepEmbedsHalf.AsSpan(row * _hidden, _hidden).Clear();
        }
        else
        {
            _stepEmbeds.AsSpan(row * _hidden, _hidden).Clear();
        }
    }

    /// <summary>The logits of batch row <paramref name="row"/>, as float32 (a view of the bound buffer, or converted).</summary>
    private Span<float> StepRow(int row)
    {
        if (!_half)
        {
            return _stepLogits.AsSpan(row * _vocab, _vocab);
        }

        HalfPrecision.ToSingle(_stepLogitsHalf.AsSpan(row * _vocab, _vocab), _row);
        return _row;
    }

    private void ReadRow(OrtValue logits, int row, float[] destination)
    {
        if (_half)
        {
            HalfPrecision.ToSingle(logits.GetTensorDataAsSpan<Float16>().Slice(row * _vocab, _vocab), destination);
        }
        else
        {
            logits.GetTensorDataAsSpan<float>().Slice(row * _vocab, _vocab).CopyTo(destination);
        }
    }

    private static OrtValue HalfTensor(ReadOnlySpan<float> values, long[] shape)
    {
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float16, shape);
        HalfPrecision.ToHalf(values, value.GetTensorMutableDataAsSpan<Float16>());
        return value;
    }

    public void Dispose()
    {
        _stopping = true;
        _signal.Release();
        _thread.Join();
        foreach (var binding in _stepBindings)
        {
            binding?.Dispose();
        }

        foreach (var value in _stepValues)
        {
            value.Dispose();
        }

        _cache.Dispose();
        _signal.Dispose();
    }
}
