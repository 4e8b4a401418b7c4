using System.Globalization;
using GPT4RoI.Core.Errors;

namespace GPT4RoI.Core.Imaging;

/// <summary>Validates region boxes and normalises them to the model's [0, 1] coordinates.</summary>
public static class RegionBoxes
{
    /// <summary>
    /// Validates pixel boxes of a <paramref name="width"/>×<paramref name="height"/> (EXIF-oriented) image and
    /// returns them normalised, N×4 floats (x1/w, y1/h, x2/w, y2/h), each computed in double then cast to float,
    /// as the reference does.
    /// <para>Rules, per box: all four values must be finite; x2 &gt; x1 and y2 &gt; y1 (inverted or zero-size boxes
    /// are errors). A box that extends past the image (negative coordinates, or beyond width/height) but overlaps
    /// it is clipped to the image, [0, width] × [0, height]; a box that after clipping has zero area (lies
    /// entirely outside the image, or only touches its edge) is an error. At most
    /// <see cref="BoxPolicy.MaxRegions"/> boxes; none is fine (empty result).</para>
    /// </summary>
    /// <exception cref="RegionInputException">A box breaks a rule, or there are too many boxes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The image size is not positive.</exception>
    public static float[] Normalise(IReadOnlyList<BoundingBox> boxes, int width, int height, BoxPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        policy ??= BoxPolicy.Default;
        if (boxes.Count > policy.MaxRegions)
        {
            throw new RegionInputException(
                null, string.Create(CultureInfo.InvariantCulture, $"{boxes.Count} regions given; the limit is {policy.MaxRegions}"), ErrorCode.LimitExceeded);
        }

        var result = new float[boxes.Count * 4];
        for (var r = 0; r < boxes.Count; r++)
        {
            var box = boxes[r];
            for (var k = 0; k < 4; k++)
            {
                var v = box[k];
                if (double.IsNaN(v))
                {
                    throw new RegionInputException(r, $"{BoundingBox.Names[k]} is NaN");
                }

                if (double.IsInfinity(v))
                {
                    throw new RegionInputException(r, $"{BoundingBox.Names[k]} is infinite");
                }
            }

            CheckOrder(r, "x", box.X1, box.X2, "width");
            CheckOrder(r, "y", box.Y1, box.Y2, "height");

            var x1 = Math.Clamp(box.X1, 0, width);
            var y1 = Math.Clamp(box.Y1, 0, height);
            var x2 = Math.Clamp(box.X2, 0, width);
            var y2 = Math.Clamp(box.Y2, 0, height);
            if (x2 <= x1 || y2 <= y1)
            {
                throw new RegionInputException(
                    r, string.Create(CultureInfo.InvariantCulture, $"box {box} lies outside the {width}x{height} image"));
            }

            result[(r * 4) + 0] = (float)(x1 / width);
            result[(r * 4) + 1] = (float)(y1 / height);
            result[(r * 4) + 2] = (float)(x2 / width);
            result[(r * 4) + 3] = (float)(y2 / height);
        }

        return result;
    }

    private static void CheckOrder(int region, string axis, double low, double high, string extent)
    {
        if (high == low)
        {
            throw new RegionInputException(
                region, string.Create(CultureInfo.InvariantCulture, $"box has zero {extent} ({axis}1 = {axis}2 = {low})"));
        }

        if (high < low)
        {
            throw new RegionInputException(
                region,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{axis}2 ({high}) must be greater than {axis}1 ({low}); boxes are x1,y1,x2,y2"));
        }
    }
}
