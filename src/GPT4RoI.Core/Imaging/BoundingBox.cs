using System.Globalization;

namespace GPT4RoI.Core.Imaging;

/// <summary>A region as pixel corner coordinates (x1, y1) top-left and (x2, y2) bottom-right in the oriented image.</summary>
public readonly record struct BoundingBox(double X1, double Y1, double X2, double Y2)
{
    /// <summary>Parses <c>"x1,y1,x2,y2"</c> (invariant culture, whitespace allowed around numbers).</summary>
    /// <exception cref="RegionInputException">Not exactly four numbers.</exception>
    public static BoundingBox Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',');
        if (parts.Length != 4)
        {
            throw new RegionInputException(
                $"'{text}' is not a box: expected 4 comma-separated numbers x1,y1,x2,y2, got {parts.Length} part(s).");
        }

        Span<double> values = stackalloc double[4];
        for (var i = 0; i < 4; i++)
        {
            if (!double.TryParse(parts[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                throw new RegionInputException(
                    $"'{text}' is not a box: {Names[i]} '{parts[i].Trim()}' is not a number (expected x1,y1,x2,y2).");
            }
        }

        return new BoundingBox(values[0], values[1], values[2], values[3]);
    }

    /// <summary>Boxes given as <c>[x1, y1, x2, y2]</c> arrays (the JSON form of requests and manifests); null is none.</summary>
    /// <exception cref="RegionInputException">An array does not hold exactly four numbers.</exception>
    public static IReadOnlyList<BoundingBox> FromArrays(IReadOnlyList<double[]?>? arrays)
    {
        if (arrays is null || arrays.Count == 0)
        {
            return [];
        }

        var boxes = new BoundingBox[arrays.Count];
        for (var i = 0; i < boxes.Length; i++)
        {
            if (arrays[i] is not { Length: 4 } a)
            {
                throw new RegionInputException(i, "a region must be [x1, y1, x2, y2] in pixels");
            }

            boxes[i] = new BoundingBox(a[0], a[1], a[2], a[3]);
        }

        return boxes;
    }

    /// <summary>The box as <c>[x1, y1, x2, y2]</c>.</summary>
    public double[] ToArray() => [X1, Y1, X2, Y2];

    internal static readonly string[] Names = ["x1", "y1", "x2", "y2"];

    internal double this[int i] => i switch { 0 => X1, 1 => Y1, 2 => X2, _ => Y2 };

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"({X1}, {Y1}, {X2}, {Y2})");
}
