using System.Text;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;

namespace GPT4RoI.Core.Tests.Contracts;

public sealed class BoxManifestTests
{
    private static BoxManifest Parse(string json) => BoxManifest.Parse(Encoding.UTF8.GetBytes(json), "m.json");

    [Theory]
    [InlineData("../x.png")]
    [InlineData("a/../../results/x.json")]
    [InlineData("/etc/passwd")]
    [InlineData("a\\\\b.png")]
    [InlineData("C:\\\\images\\\\x.png")]
    [InlineData("..")]
    public void Parse_ImageOutsideTheManifestFolder_Refused(string image)
    {
        var ex = Assert.Throws<ManifestException>(() => Parse($$"""{"image": "{{image}}", "tasks": [{"question": "q"}]}"""));

        Assert.Equal(ErrorCode.InvalidManifest, ex.Code);
        Assert.Contains("\"image\" must be a relative name", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OverflowingCoordinate_ParsesAsInfinityForTheTaskToRefuse()
    {
        // Found by the manifest fuzz target: 1e309 reads as infinity. The schema lets it through; the task fails
        // with invalid_region (RegionBoxes), and results never echo a failed turn's boxes.
        var manifest = Parse("""{"image": "a.png", "tasks": [{"question": "What is <region1>?", "regions": [[1, 2, 1e309, 4]]}]}""");

        var box = Assert.Single(manifest.Tasks[0].AllTurns()[0].Boxes());
        Assert.True(double.IsPositiveInfinity(box.X2));
    }
}
