using System.Text;
using System.Text.Json;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;

namespace GPT4RoI.Core.Tests.Contracts;

public sealed class ContractJsonTests
{
    [Fact]
    public void Parse_ManifestWithDuplicateKey_IsRefusedNotLastOneWins()
    {
        var json = """{"image": "a.png", "image": "b.png", "tasks": [{"question": "What is <region1>?", "regions": [[1,1,5,5]]}]}""";

        var ex = Assert.Throws<ManifestException>(() => BoxManifest.Parse(Encoding.UTF8.GetBytes(json), "m.json"));

        Assert.Equal(ErrorCode.InvalidManifest, ex.Code);
        Assert.Contains("m.json", ex.Message, StringComparison.Ordinal);
        Assert.IsType<JsonException>(ex.InnerException);
    }

    [Fact]
    public void Deserialize_RequestWithDuplicateNestedKey_IsRefused() =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<QueryRequest>(
            """{"question": "q", "generation": {"temperature": 0, "temperature": 1}}""", ContractJson.Options));

    [Fact]
    public void Parse_ManifestWithDuplicateKeyInsideATurn_IsRefused()
    {
        var json = """{"image": "a.png", "tasks": [{"id": "t", "turns": [{"question": "What is <region1>?", "regions": [[1,1,5,5]], "regions": [[2,2,6,6]]}]}]}""";

        var ex = Assert.Throws<ManifestException>(() => BoxManifest.Parse(Encoding.UTF8.GetBytes(json), "m.json"));

        Assert.Equal(ErrorCode.InvalidManifest, ex.Code);
        Assert.IsType<JsonException>(ex.InnerException);
    }

    [Fact]
    public void Deserialize_UnknownMember_IsRefused() =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<TurnRequest>("""{"question": "q", "region": [[1,2,3,4]]}""", ContractJson.Options));

    [Fact]
    public void Serialize_RegionTags_StayReadable() =>
        Assert.Equal("""{"question":"What is <region1>?","stream":false}""", JsonSerializer.Serialize(new TurnRequest { Question = "What is <region1>?" }, ContractJson.Compact));

    [Fact]
    public void Parse_ManifestGenerationOutOfRange_NamesTheField()
    {
        var json = """{"image": "a.png", "tasks": [{"question": "q"}], "generation": {"top_p": 0}}""";

        var ex = Assert.Throws<ManifestException>(() => BoxManifest.Parse(Encoding.UTF8.GetBytes(json), "m.json"));

        Assert.Contains("generation", ex.Message, StringComparison.Ordinal);
        Assert.Contains("top_p", ex.Message, StringComparison.Ordinal);
    }
}
