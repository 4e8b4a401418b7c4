using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;

namespace GPT4RoI.Core.Tests.Imaging;

public class RegionBoxesTests
{
    private static RegionInputException Rejected(params BoundingBox[] boxes) =>
        Assert.Throws<RegionInputException>(() => RegionBoxes.Normalise(boxes, 200, 100));

    [Fact]
    public void Normalise_BoxInside_DividesByWidthAndHeightInDouble()
    {
        var result = RegionBoxes.Normalise([new BoundingBox(15.6, 373.9, 85.5, 442.3)], 235, 506);

        Assert.Equal([(float)(15.6 / 235), (float)(373.9 / 506), (float)(85.5 / 235), (float)(442.3 / 506)], result);
    }

    [Fact]
    public void Normalise_NoBoxes_ReturnsEmpty()
    {
        Assert.Empty(RegionBoxes.Normalise([], 10, 10));
    }

    [Fact]
    public void Normalise_NaN_ThrowsNamingRegionAndCoordinate()
    {
        var ex = Rejected(new BoundingBox(1, 1, 5, 5), new BoundingBox(double.NaN, 1, 5, 5));

        Assert.Equal("region 2: x1 is NaN", ex.Message);
        Assert.Equal(1, ex.RegionIndex);
    }

    [Fact]
    public void Normalise_Infinite_Throws()
    {
        var ex = Rejected(new BoundingBox(1, 1, 5, double.PositiveInfinity));

        Assert.Equal("region 1: y2 is infinite", ex.Message);
    }

    [Fact]
    public void Normalise_Inverted_Throws()
    {
        var ex = Rejected(new BoundingBox(20, 1, 10, 5));

        Assert.Equal("region 1: x2 (10) must be greater than x1 (20); boxes are x1,y1,x2,y2", ex.Message);
    }

    [Fact]
    public void Normalise_ZeroArea_Throws()
    {
        var ex = Rejected(new BoundingBox(1, 7, 5, 7));

        Assert.Equal("region 1: box has zero height (y1 = y2 = 7)", ex.Message);
    }

    [Fact]
    public void Normalise_NegativeOrBeyondButOverlapping_ClipsToImage()
    {
        var result = RegionBoxes.Normalise([new BoundingBox(-10, -5, 250, 50)], 200, 100);

        Assert.Equal([0f, 0f, 1f, 0.5f], result);
    }

    [Fact]
    public void Normalise_FullyOutside_Throws()
    {
        var ex = Rejected(new BoundingBox(1, 1, 5, 5), new BoundingBox(1, 1, 5, 5), new BoundingBox(300, 10, 400, 50));

        Assert.Equal("region 3: box (300, 10, 400, 50) lies outside the 200x100 image", ex.Message);
        Assert.Equal(2, ex.RegionIndex);
    }

    [Fact]
    public void Normalise_OnlyTouchingEdge_Throws()
    {
        var ex = Rejected(new BoundingBox(-5, 10, 0, 20));

        Assert.Contains("lies outside", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Normalise_ThousandRegions_ThrowsLimit()
    {
        var boxes = Enumerable.Repeat(new BoundingBox(1, 1, 5, 5), 1000).ToArray();

        var ex = Rejected(boxes);

        Assert.Equal("1000 regions given; the limit is 32", ex.Message);
        Assert.Null(ex.RegionIndex);
    }

    [Fact]
    public void Normalise_PolicyLimit_IsApplied()
    {
        var boxes = Enumerable.Repeat(new BoundingBox(1, 1, 5, 5), 3).ToArray();

        Assert.Equal(12, RegionBoxes.Normalise(boxes, 10, 10, new BoxPolicy { MaxRegions = 3 }).Length);
        Assert.Throws<RegionInputException>(() => RegionBoxes.Normalise(boxes, 10, 10, new BoxPolicy { MaxRegions = 2 }));
    }

    [Fact]
    public void Parse_ValidText_ReturnsBox()
    {
        Assert.Equal(new BoundingBox(1.5, 2, 30, 40.25), BoundingBox.Parse(" 1.5, 2,30 ,40.25"));
    }

    [Theory]
    [InlineData("1,2,3", "expected 4 comma-separated numbers x1,y1,x2,y2, got 3 part(s)")]
    [InlineData("1,2,abc,4", "x2 'abc' is not a number")]
    [InlineData("", "got 1 part(s)")]
    public void Parse_BadText_ThrowsRegionInputException(string text, string expected)
    {
        var ex = Assert.Throws<RegionInputException>(() => BoundingBox.Parse(text));
        Assert.Equal(ErrorCode.InvalidRegion, ex.Code);

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
