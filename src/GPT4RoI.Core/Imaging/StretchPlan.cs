namespace GPT4RoI.Core.Imaging;

/// <summary>
/// The plan of a bilinear resize (half-pixel centres, no antialias) of an image to outWidth×outHeight: per output
/// column and row the two source indices and weights, and the source rows it reads (at most two per output row), each
/// given a slot in a row buffer. Views over caller-rented buffers: <c>ints</c> of at least
/// <c>2 * outWidth + 4 * outHeight + inHeight</c> (x0, x1, y0, y1, row of slot, slot of row), <c>weights</c> of at
/// least <c>2 * outWidth + 2 * outHeight</c> (wx0, wx1, wy0, wy1).
/// </summary>
internal readonly ref struct StretchPlan
{
    public StretchPlan(int inWidth, int inHeight, int outWidth, int outHeight, Span<int> ints, Span<float> weights)
    {
        X0 = ints[..outWidth];
        X1 = ints.Slice(outWidth, outWidth);
        Y0 = ints.Slice(2 * outWidth, outHeight);
        Y1 = ints.Slice((2 * outWidth) + outHeight, outHeight);
        RowOfSlot = ints.Slice((2 * outWidth) + (2 * outHeight), 2 * outHeight);
        SlotOfRow = ints.Slice((2 * outWidth) + (4 * outHeight), inHeight);
        Wx0 = weights[..outWidth];
        Wx1 = weights.Slice(outWidth, outWidth);
        Wy0 = weights.Slice(2 * outWidth, outHeight);
        Wy1 = weights.Slice((2 * outWidth) + outHeight, outHeight);
        ImagePreprocessor.ComputeIndices(inWidth, X0, X1, Wx0, Wx1);
        ImagePreprocessor.ComputeIndices(inHeight, Y0, Y1, Wy0, Wy1);

        SlotOfRow.Fill(-1);
        var slots = 0;
        for (var oy = 0; oy < outHeight; oy++)
        {
            foreach (var y in (ReadOnlySpan<int>)[Y0[oy], Y1[oy]])
            {
                if (SlotOfRow[y] < 0)
                {
                    SlotOfRow[y] = slots;
                    RowOfSlot[slots++] = y;
                }
            }
        }

        Slots = slots;
    }

    public Span<int> X0 { get; }
    public Span<int> X1 { get; }
    public Span<int> Y0 { get; }
    public Span<int> Y1 { get; }

    /// <summary>The source row held in each slot (the first <see cref="Slots"/> entries).</summary>
    public Span<int> RowOfSlot { get; }

    /// <summary>The slot of each source row, -1 for rows the stretch does not read.</summary>
    public Span<int> SlotOfRow { get; }

    public Span<float> Wx0 { get; }
    public Span<float> Wx1 { get; }
    public Span<float> Wy0 { get; }
    public Span<float> Wy1 { get; }

    /// <summary>How many source rows the stretch reads.</summary>
    public int Slots { get; }
}
