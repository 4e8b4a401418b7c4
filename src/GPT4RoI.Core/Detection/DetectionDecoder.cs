using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using GPT4RoI.Core.Imaging;

namespace GPT4RoI.Core.Detection;

/// <summary>
/// Detector output → detections in image pixels: best class per anchor, score threshold, a cap on the candidates,
/// greedy class-aware NMS, mapping back through the letterbox and clipping. The C# port of
/// <c>models/gpt4roi_ref/detector_postprocess.py</c> (docs/model-format.md, "Detector post-processing"): box
/// arithmetic in float64, scores compared as float32 values widened to float64, ties broken by the lower anchor.
/// The per-anchor class scan and the IoU pass are vectorised; scratch buffers come from <see cref="ArrayPool{T}"/>.
/// </summary>
public static class DetectionDecoder
{
    /// <summary>Decodes a <see cref="DetectorOutputLayout.Yolo"/> output [1, 4 + classes, anchors] (row-major).</summary>
    /// <exception cref="DetectorException">The output length does not match, or every score is NaN.</exception>
    public static DetectionResult DecodeYolo(ReadOnlySpan<float> output, int classes, int anchors, LetterboxGeometry geometry,
        DetectionSettings settings, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfNegative(anchors);
        if (output.Length != (long)(4 + classes) * anchors)
        {
            throw new DetectorException(string.Create(CultureInfo.InvariantCulture,
                $"the detector output holds {output.Length} values; [1, {4 + classes}, {anchors}] needs {(long)(4 + classes) * anchors}"));
        }

        var best = ArrayPool<float>.Shared.Rent(Math.Max(1, anchors));
        var cls = ArrayPool<int>.Shared.Rent(Math.Max(1, anchors));
        var keys = ArrayPool<ulong>.Shared.Rent(Math.Max(1, anchors));
        try
        {
            var nan = BestClass(output, classes, anchors, best, cls);
            if (anchors > 0 && nan == (long)classes * anchors)
            {
                throw new DetectorException("every score of the detector output is NaN; the graph or its input is broken");
            }

            // Candidates: score > threshold (compared in float64) and a finite box; keys sort score-descending, anchor-ascending.
            var n = 0;
            var cx = output[..anchors];
            var cy = output.Slice(anchors, anchors);
            var w = output.Slice(2 * anchors, anchors);
            var h = output.Slice(3 * anchors, anchors);
            for (var a = 0; a < anchors; a++)
            {
                if ((double)best[a] > settings.ScoreThreshold && float.IsFinite(cx[a]) && float.IsFinite(cy[a]) && float.IsFinite(w[a]) && float.IsFinite(h[a]))
                {
                    keys[n++] = SortKey(best[a], a);
                }
            }

            using var c = Candidates.Sorted(keys.AsSpan(0, n), settings.MaxCandidates);
            for (var i = 0; i < c.Count; i++)
            {
                var anchor = c.Row(i);
                double bx = cx[anchor], by = cy[anchor], bw = w[anchor], bh = h[anchor];
                c.Set(i, bx - (bw / 2), by - (bh / 2), bx + (bw / 2), by + (bh / 2), cls[anchor], best[anchor]);
            }

            return Finish(c, geometry, settings, classNames, (int)nan);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(best);
            ArrayPool<int>.Shared.Return(cls);
            ArrayPool<ulong>.Shared.Return(keys);
        }
    }

    /// <summary>Decodes a <see cref="DetectorOutputLayout.Decoded"/> output: one row per detection, boxes in
    /// <paramref name="boxFormat"/> (<c>xyxy</c> or <c>cxcywh</c>) and <paramref name="boxUnits"/> (<c>input_pixels</c>
    /// or <c>normalized</c>). NaN scores and non-finite boxes are ignored; NMS only when the settings give an IoU threshold.</summary>
    /// <exception cref="DetectorException">The three outputs disagree on the row count, a label does not fit a class id,
    /// or every score is NaN.</exception>
    public static DetectionResult DecodeRows(ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, ReadOnlySpan<long> labels,
        string boxFormat, string boxUnits, LetterboxGeometry geometry, DetectionSettings settings, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(classNames);
        var rows = scores.Length;
        if (boxes.Length != 4 * rows || labels.Length != rows)
        {
            throw new DetectorException(string.Create(CultureInfo.InvariantCulture,
                $"the detector's decoded outputs disagree on the number of rows: boxes {boxes.Length / 4.0}, scores {scores.Length}, labels {labels.Length}"));
        }

        var cxcywh = boxFormat switch
        {
            "xyxy" => false,
            "cxcywh" => true,
            _ => throw new DetectorException($"unknown box_format '{boxFormat}'"),
        };
        var unit = boxUnits switch
        {
            "input_pixels" => 1.0,
            "normalized" => geometry.Size,
            _ => throw new DetectorException($"unknown box_units '{boxUnits}'"),
        };

        var keys = ArrayPool<ulong>.Shared.Rent(Math.Max(1, rows));
        try
        {
            int n = 0, nan = 0;
            for (var r = 0; r < rows; r++)
            {
                var s = scores[r];
                if (float.IsNaN(s))
                {
                    nan++;
                    continue;
                }

                var b = boxes.Slice(4 * r, 4);
                if ((double)s > settings.ScoreThreshold && float.IsFinite(b[0]) && float.IsFinite(b[1]) && float.IsFinite(b[2]) && float.IsFinite(b[3]))
                {
                    if (labels[r] is < int.MinValue or > int.MaxValue)
                    {
                        throw new DetectorException(string.Create(CultureInfo.InvariantCulture, $"row {r} of the detector output has label {labels[r]}, which is not a class id"));
                    }

                    keys[n++] = SortKey(s, r);
                }
            }

            if (rows > 0 && nan == rows)
            {
                throw new DetectorException("every score of the detector output is NaN; the graph or its input is broken");
            }

            using var c = Candidates.Sorted(keys.AsSpan(0, n), settings.MaxCandidates);
            for (var i = 0; i < c.Count; i++)
            {
                var row = c.Row(i);
                double a = boxes[4 * row] * unit, b = boxes[(4 * row) + 1] * unit, e = boxes[(4 * row) + 2] * unit, d = boxes[(4 * row) + 3] * unit;
                if (cxcywh)
                {
                    c.Set(i, a - (e / 2), b - (d / 2), a + (e / 2), b + (d / 2), (int)labels[row], scores[row]);
                }
                else
                {
                    c.Set(i, a, b, e, d, (int)labels[row], scores[row]);
                }
            }

            return Finish(c, geometry, settings, classNames, nan);
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(keys);
        }
    }

    /// <summary>Runs NMS over the sorted, capped candidates, maps the kept boxes back and clips them.</summary>
    private static DetectionResult Finish(Candidates c, LetterboxGeometry g, DetectionSettings settings, IReadOnlyList<string> classNames, int nanScores)
    {
        var k = c.Count;
        var keep = ArrayPool<int>.Shared.Rent(Math.Max(1, Math.Min(k, settings.MaxDetections)));
        try
        {
            var kept = 0;
            for (var i = 0; i < k && kept < settings.MaxDetections; i++)
            {
                if (c.Alive[i] == 0)
                {
                    continue;
                }

                keep[kept++] = i;
                if (settings.NmsIouThreshold is { } threshold)
                {
                    Suppress(i, k, threshold, c.X1, c.Y1, c.X2, c.Y2, c.Class, c.Alive);
                }
            }

            var detections = new List<DetectedObject>(kept);
            for (var q = 0; q < kept; q++)
            {
                var i = keep[q];
                var bx1 = Math.Clamp(g.ToImageX(c.X1[i]), 0.0, g.Width);
                var by1 = Math.Clamp(g.ToImageY(c.Y1[i]), 0.0, g.Height);
                var bx2 = Math.Clamp(g.ToImageX(c.X2[i]), 0.0, g.Width);
                var by2 = Math.Clamp(g.ToImageY(c.Y2[i]), 0.0, g.Height);
                if (bx2 <= bx1 || by2 <= by1)
                {
                    continue;
                }

                var classId = (int)c.Class[i];
                var label = classId >= 0 && classId < classNames.Count ? classNames[classId] : classId.ToString(CultureInfo.InvariantCulture);
                detections.Add(new DetectedObject(new BoundingBox(bx1, by1, bx2, by2), c.Score[i], classId, label,
                    new BoundingBox(c.X1[i], c.Y1[i], c.X2[i], c.Y2[i]), c.Row(i)));
            }

            return new DetectionResult
            {
                Detections = detections,
                Geometry = g,
                Candidates = c.Total,
                CappedCandidates = c.Total - k,
                NaNScores = nanScores,
            };
        }
        finally
        {
            ArrayPool<int>.Shared.Return(keep);
        }
    }

    /// <summary>The candidates in NMS order (score descending, row ascending), capped; their boxes in float64
    /// structure-of-arrays form (rented, returned on dispose).</summary>
    private sealed class Candidates : IDisposable
    {
        private ulong[] _keys = [];

        public int Count { get; private set; }
        public int Total { get; private set; }
        public double[] X1 { get; private set; } = [];
        public double[] Y1 { get; private set; } = [];
        public double[] X2 { get; private set; } = [];
        public double[] Y2 { get; private set; } = [];
        public double[] Class { get; private set; } = [];
        public double[] Alive { get; private set; } = [];
        public float[] Score { get; private set; } = [];

        public static Candidates Sorted(Span<ulong> keys, int cap)
        {
            keys.Sort();
            var k = Math.Min(keys.Length, cap);
            var n = Math.Max(1, k);
            var c = new Candidates
            {
                Count = k,
                Total = keys.Length,
                _keys = ArrayPool<ulong>.Shared.Rent(n),
                X1 = ArrayPool<double>.Shared.Rent(n),
                Y1 = ArrayPool<double>.Shared.Rent(n),
                X2 = ArrayPool<double>.Shared.Rent(n),
                Y2 = ArrayPool<double>.Shared.Rent(n),
                Class = ArrayPool<double>.Shared.Rent(n),
                Alive = ArrayPool<double>.Shared.Rent(n),
                Score = ArrayPool<float>.Shared.Rent(n),
            };
            keys[..k].CopyTo(c._keys);
            return c;
        }

        public int Row(int i) => (int)(uint)_keys[i];

        public void Set(int i, double x1, double y1, double x2, double y2, int classId, float score)
        {
            X1[i] = x1;
            Y1[i] = y1;
            X2[i] = x2;
            Y2[i] = y2;
            Class[i] = classId;
            Alive[i] = 1;
            Score[i] = score;
        }

        public void Dispose()
        {
            ArrayPool<ulong>.Shared.Return(_keys);
            ArrayPool<double>.Shared.Return(X1);
            ArrayPool<double>.Shared.Return(Y1);
            ArrayPool<double>.Shared.Return(X2);
            ArrayPool<double>.Shared.Return(Y2);
            ArrayPool<double>.Shared.Return(Class);
            ArrayPool<double>.Shared.Return(Alive);
            ArrayPool<float>.Shared.Return(Score);
        }
    }

    /// <summary>Marks every later candidate of the same class whose IoU with candidate <paramref name="i"/> is above the
    /// threshold. The vector and scalar paths do the same float64 operations in the same order as the reference.</summary>
    private static void Suppress(int i, int k, double threshold, double[] x1, double[] y1, double[] x2, double[] y2, double[] cls, double[] alive)
    {
        double ax1 = x1[i], ay1 = y1[i], ax2 = x2[i], ay2 = y2[i], c = cls[i];
        var area = Math.Max(0.0, ax2 - ax1) * Math.Max(0.0, ay2 - ay1);
        var j = i + 1;
        if (Vector.IsHardwareAccelerated && k - j >= Vector<double>.Count)
        {
            var vx1 = new Vector<double>(ax1);
            var vy1 = new Vector<double>(ay1);
            var vx2 = new Vector<double>(ax2);
            var vy2 = new Vector<double>(ay2);
            var vc = new Vector<double>(c);
            var vArea = new Vector<double>(area);
            var vThreshold = new Vector<double>(threshold);
            ref var rx1 = ref MemoryMarshal.GetArrayDataReference(x1);
            ref var ry1 = ref MemoryMarshal.GetArrayDataReference(y1);
            ref var rx2 = ref MemoryMarshal.GetArrayDataReference(x2);
            ref var ry2 = ref MemoryMarshal.GetArrayDataReference(y2);
            ref var rc = ref MemoryMarshal.GetArrayDataReference(cls);
            ref var ra = ref MemoryMarshal.GetArrayDataReference(alive);
            for (; j <= k - Vector<double>.Count; j += Vector<double>.Count)
            {
                var o = (nuint)j;
                Vector<double> bx1 = Vector.LoadUnsafe(ref rx1, o), by1 = Vector.LoadUnsafe(ref ry1, o);
                Vector<double> bx2 = Vector.LoadUnsafe(ref rx2, o), by2 = Vector.LoadUnsafe(ref ry2, o);
                var iw = Vector.Max(Vector<double>.Zero, Vector.Min(vx2, bx2) - Vector.Max(vx1, bx1));
                var ih = Vector.Max(Vector<double>.Zero, Vector.Min(vy2, by2) - Vector.Max(vy1, by1));
                var inter = iw * ih;
                var areas = Vector.Max(Vector<double>.Zero, bx2 - bx1) * Vector.Max(Vector<double>.Zero, by2 - by1);
                var union = (vArea + areas) - inter;
                var positive = Vector.GreaterThan(union, Vector<double>.Zero);
                var iou = Vector.ConditionalSelect(positive, inter / Vector.ConditionalSelect(positive, union, Vector<double>.One), Vector<double>.Zero);
                var hit = Vector.GreaterThan(iou, vThreshold) & Vector.Equals(Vector.LoadUnsafe(ref rc, o), vc);
                Vector.StoreUnsafe(Vector.ConditionalSelect(hit, Vector<double>.Zero, Vector.LoadUnsafe(ref ra, o)), ref ra, o);
            }
        }

        for (; j < k; j++)
        {
            if (alive[j] == 0 || cls[j] != c)
            {
                continue;
            }

            var iw = Math.Max(0.0, Math.Min(ax2, x2[j]) - Math.Max(ax1, x1[j]));
            var ih = Math.Max(0.0, Math.Min(ay2, y2[j]) - Math.Max(ay1, y1[j]));
            var inter = iw * ih;
            var areas = Math.Max(0.0, x2[j] - x1[j]) * Math.Max(0.0, y2[j] - y1[j]);
            var union = (area + areas) - inter;
            var iou = union > 0 ? inter / union : 0.0;
            if (iou > threshold)
            {
                alive[j] = 0;
            }
        }
    }

    /// <summary>Best class per anchor (first index of the largest score; NaN counts as −∞, so it never wins), vectorised
    /// across anchors one class row at a time. Returns how many score values were NaN.</summary>
    private static long BestClass(ReadOnlySpan<float> output, int classes, int anchors, float[] best, int[] cls)
    {
        long nan = 0;
        var bestSpan = best.AsSpan(0, anchors);
        var clsSpan = cls.AsSpan(0, anchors);
        for (var c = 0; c < classes; c++)
        {
            var row = output.Slice((4 + c) * anchors, anchors);
            var a = 0;
            if (Vector.IsHardwareAccelerated && anchors >= Vector<float>.Count)
            {
                var vClass = new Vector<int>(c);
                var vNegInf = new Vector<float>(float.NegativeInfinity);
                var nanCount = Vector<int>.Zero;
                ref var r = ref MemoryMarshal.GetReference(row);
                ref var b = ref MemoryMarshal.GetReference(bestSpan);
                ref var k = ref MemoryMarshal.GetReference(clsSpan);
                for (; a <= anchors - Vector<float>.Count; a += Vector<float>.Count)
                {
                    var o = (nuint)a;
                    var v = Vector.LoadUnsafe(ref r, o);
                    var isNumber = Vector.Equals(v, v);
                    nanCount -= Vector.OnesComplement(isNumber);
                    if (c == 0)
                    {
                        Vector.StoreUnsafe(Vector.ConditionalSelect(isNumber, v, vNegInf), ref b, o);
                        Vector.StoreUnsafe(Vector<int>.Zero, ref k, o);
                    }
                    else
                    {
                        var current = Vector.LoadUnsafe(ref b, o);
                        var wins = Vector.GreaterThan(v, current);
                        Vector.StoreUnsafe(Vector.ConditionalSelect(wins, v, current), ref b, o);
                        Vector.StoreUnsafe(Vector.ConditionalSelect(wins, vClass, Vector.LoadUnsafe(ref k, o)), ref k, o);
                    }
                }

                nan += Vector.Sum(nanCount);
            }

            for (; a < anchors; a++)
            {
                var v = row[a];
                if (float.IsNaN(v))
                {
                    nan++;
                    v = float.NegativeInfinity;
                    if (c > 0)
                    {
                        continue;
                    }
                }

                if (c == 0)
                {
                    bestSpan[a] = v;
                    clsSpan[a] = 0;
                }
                else if (v > bestSpan[a])
                {
                    bestSpan[a] = v;
                    clsSpan[a] = c;
                }
            }
        }

        return nan;
    }

    /// <summary>A key whose ascending order is score descending, then row ascending.</summary>
    private static ulong SortKey(float score, int row)
    {
        var bits = BitConverter.SingleToInt32Bits(score);
        var ordered = bits >= 0 ? bits : bits ^ int.MaxValue;   // ascending with the float value
        var descending = (ulong)(int.MaxValue - (long)ordered);  // 0 .. 2^32 - 1
        return (descending << 32) | (uint)row;
    }
}
