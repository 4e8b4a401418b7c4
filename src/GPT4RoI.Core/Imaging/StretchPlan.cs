namespace GPT4RoI.Core.Imaging;

/// <summary>
/// The plan of a size×size bilinear stretch (half-pixel centres, no antialias) of an image: per output column and row
/// the two source indices and weights, and the source rows it reads (at most two per output row), each given a slot in
/// a row buffer. Views over caller-rented buffers: <c>ints</c> of at least <c>6 * size + inHeight</c>, <c>weights</c>
/// of at least <c>4 * size</c>.
/// </summary>
internal readonly ref struct StretchPlan
{
    public StretchPlan(int inWidth, int inHeight, int size, Span<int> ints, Span<float> weights)
    {
        X0 = ints[..size];
        X1 = ints.Slice(size, size);
        Y0 = ints.Slice(2 * size, size);
        Y1 = ints.Slice(3 * size, size);
        RowOfSlot = ints.Slice(4 * size, 2 * size);
        SlotOfRow = ints.Slice(6 * size, inHeight);
        Wx0 = weights[..size];
        Wx1 = weights.Slice(size, size);
        Wy0 = weights.Slice(2 * size, size);
        Wy1 = weights.Slice(3 * size, size);
        ImagePreprocessor.ComputeIndices(inWidth, X0, X1, Wx0, Wx1);
        ImagePreprocessor.ComputeIndices(inHeight, Y0, Y1, Wy0, Wy1);

        SlotOfRow.Fill(-1);
        var slots = 0;
        for (var oy = 0; oy < size; oy++)
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
