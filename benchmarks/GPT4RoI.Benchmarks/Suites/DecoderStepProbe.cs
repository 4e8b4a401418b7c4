using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using GPT4RoI.Benchmarks.Infrastructure;
using GPT4RoI.Core.Imaging;
using GPT4RoI.Core.Inference;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace GPT4RoI.Benchmarks.Suites;

/// <summary>
/// A diagnostic, not a goal: where the time of one decoder step of the tiny model goes
/// (<c>gpt4roi-benchmarks --probe decoder-step</c>, docs/performance.md). Three measurements, each printed as it ends:
/// (1) bare ONNX Runtime steps (batch 1, one token at position 350, the session options of the engine) over key/value
/// caches whose memory is never written, written with zeros, or written with small random values: does a step's time
/// depend on the cache's contents? (2) the same steps with a 312-token prefill every 63 steps, as each new answer
/// has: the time of the steps right after a prefill. (3) the engine itself: its own clock of the decoder's step runs
/// (<see cref="Gpt4RoIEngine.OrtRunTimes"/>) for 64- and 600-token answers, one at a time.
/// </summary>
public static class DecoderStepProbe
{
    private const int Position = 350;
    private const int PromptTokens = 312;
    private const int Steps = 2000;

    public static int Run()
    {
        var manifest = Path.Combine(EngineBench.TinyModel, "decoder.onnx");
        using var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(manifest, so);
        var layers = session.InputNames.Count(n => n.StartsWith("cache.", StringComparison.Ordinal)) / 2;
        var cacheShape = session.InputMetadata["cache.0.key"].Dimensions;
        var (heads, headDim) = (cacheShape[1], cacheShape[3]);
        var hidden = session.InputMetadata["inputs_embeds"].Dimensions[2];
        const int capacity = 1024;
        Print($"decoder: {layers} layers, {heads} heads × {headDim}, hidden {hidden}, capacity {capacity}; {Steps} steps per row, 1 thread");

        foreach (var contents in new[] { "never written", "zeros written", "random values", "never written", "zeros written", "random values" })
        {
            using var cache = new ProbeCache(layers, heads, capacity, headDim, contents);
            using var step = cache.Bind(session, hidden, 1, Position);
            Print($"(1) cache {contents,-13}: {StepMilliseconds(session, step, null, int.MaxValue):F3} ms/step");
        }

        using (var cache = new ProbeCache(layers, heads, capacity, headDim, "zeros written"))
        using (var step = cache.Bind(session, hidden, 1, PromptTokens + 1))
        using (var prefill = cache.Bind(session, hidden, PromptTokens, 0))
        {
            foreach (var every in new[] { int.MaxValue, 63, int.MaxValue, 63 })
            {
                var afterPrefill = new double[4];
                var mean = StepMilliseconds(session, step, prefill, every, afterPrefill);
                Print(every == int.MaxValue
                    ? $"(2) no prefill between steps: {mean:F3} ms/step"
                    : $"(2) a prefill every {every} steps: {mean:F3} ms/step; steps 1, 2, 3 and 10 after it: {afterPrefill[0]:F3}, {afterPrefill[1]:F3}, {afterPrefill[2]:F3}, {afterPrefill[3]:F3} ms");
            }
        }

        using var engine = EngineBench.Engine(threads: 1);
        using var image = EngineBench.DecodeSample();
        foreach (var (tokens, answers) in new[] { (64, 20), (600, 2), (64, 20), (600, 2) })
        {
            var before = engine.OrtRunTimes;
            for (var i = 0; i < answers; i++)
            {
                using var chat = engine.StartSession(image);
                chat.Ask("What is <region1>?", [new BoundingBox(95, 70, 215, 190)], EngineBench.FixedLength(tokens));
            }

            var runs = engine.OrtRunTimes.Since(before);
            Print($"(3) engine, {tokens}-token answers: {runs.StepSeconds * 1e3 / runs.StepRuns:F3} ms per decoder step run ({runs.StepRuns} runs), prefill {runs.PrefillSeconds * 1e3 / runs.PrefillRuns:F1} ms");
        }

        return 0;
    }

    /// <summary>Mean time of <see cref="Steps"/> step runs after 100 warm-up ones; with a prefill every
    /// <paramref name="every"/> steps (not timed), and the mean of steps 1, 2, 3 and 10 after it in <paramref name="afterPrefill"/>.</summary>
    private static double StepMilliseconds(InferenceSession session, OrtIoBinding step, OrtIoBinding? prefill, int every, double[]? afterPrefill = null)
    {
        using var runOptions = new RunOptions();
        var at = new[] { 0, 1, 2, 9 };
        var sums = new double[at.Length];
        var counts = new int[at.Length];
        double total = 0;
        for (var s = -100; s < Steps; s++)
        {
            var sinceprefill = ((s % every) + every) % every;
            if (prefill is not null && sinceprefill == 0)
            {
                session.RunWithBinding(runOptions, prefill);
            }

            var started = Stopwatch.GetTimestamp();
            session.RunWithBinding(runOptions, step);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (s < 0)
            {
                continue;
            }

            total += ms;
            var k = Array.IndexOf(at, sinceprefill);
            if (k >= 0)
            {
                sums[k] += ms;
                counts[k]++;
            }
        }

        if (afterPrefill is not null)
        {
            for (var k = 0; k < at.Length; k++)
            {
                afterPrefill[k] = counts[k] == 0 ? 0 : sums[k] / counts[k];
            }
        }

        return total / Steps;
    }

    private static void Print(string line) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{line}"));

    /// <summary>One key and one value buffer per layer, [1, heads, capacity, head_dim] float32, in native memory from
    /// malloc (large blocks come straight from the kernel, so "never written" pages are its shared zero page).</summary>
    private sealed class ProbeCache : IDisposable
    {
        private readonly IntPtr[] _buffers;
        private readonly List<OrtValue> _values = [];
        private readonly long[] _shape;
        private readonly long _bytes;

        public ProbeCache(int layers, int heads, int capacity, int headDim, string contents)
        {
            _shape = [1, heads, capacity, headDim];
            var floats = heads * capacity * headDim;
            _bytes = floats * sizeof(float);
            _buffers = new IntPtr[2 * layers];
            var rng = new Random(1);
            var fill = new float[floats];
            if (contents == "random values")
            {
                for (var i = 0; i < fill.Length; i++)
                {
                    fill[i] = (float)(rng.NextDouble() - 0.5) * 0.1f;
                }
            }

            for (var i = 0; i < _buffers.Length; i++)
            {
                _buffers[i] = Marshal.AllocHGlobal((nint)_bytes);
                if (contents != "never written")
                {
                    Marshal.Copy(fill, 0, _buffers[i], fill.Length);
                }
            }
        }

        /// <summary>A binding of <paramref name="tokens"/> tokens from <paramref name="firstPosition"/>, the cache bound
        /// as input and output (updated in place, as the engine binds it).</summary>
        public OrtIoBinding Bind(InferenceSession session, int hidden, int tokens, int firstPosition)
        {
            var binding = session.CreateIoBinding();
            var embeds = OrtValue.CreateTensorValueFromMemory(new float[tokens * hidden], [1, tokens, hidden]);
            var positions = OrtValue.CreateTensorValueFromMemory(Enumerable.Range(firstPosition, tokens).Select(p => (long)p).ToArray(), [1, tokens]);
            _values.Add(embeds);
            _values.Add(positions);
            binding.BindInput("inputs_embeds", embeds);
            binding.BindInput("position_ids", positions);
            for (var i = 0; i < _buffers.Length; i++)
            {
                var name = $"{i / 2}.{(i % 2 == 0 ? "key" : "value")}";
                var view = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, _shape, _buffers[i], _bytes);
                _values.Add(view);
                binding.BindInput("cache." + name, view);
                binding.BindOutput("cache_out." + name, view);
            }

            binding.BindOutputToDevice("logits", OrtMemoryInfo.DefaultInstance);
            return binding;
        }

        public void Dispose()
        {
            foreach (var value in _values)
            {
                value.Dispose();
            }

            foreach (var buffer in _buffers)
            {
                Marshal.FreeHGlobal(buffer);
            }
        }
    }
}
