using System.Text.Json;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Core.Imaging;

namespace GPT4RoI.Core.Tests.Errors;

public sealed class ErrorCodeTests
{
    [Theory]
    [InlineData(ErrorCode.InvalidImage, "invalid_image")]
    [InlineData(ErrorCode.InvalidRegion, "invalid_region")]
    [InlineData(ErrorCode.InvalidQuestion, "invalid_question")]
    [InlineData(ErrorCode.InvalidManifest, "invalid_manifest")]
    [InlineData(ErrorCode.NotFound, "not_found")]
    [InlineData(ErrorCode.FailedAfterRetries, "failed_after_retries")]
    public void Serialize_ErrorInfo_WritesTheSnakeCaseWireName(ErrorCode code, string wire)
    {
        var json = JsonSerializer.Serialize(new ErrorInfo(code, "m"), ContractJson.Compact);

        Assert.Equal($$"""{"code":"{{wire}}","message":"m"}""", json);
        Assert.Equal(wire, ErrorCodeJsonConverter.WireName(code));
        Assert.Equal(code, JsonSerializer.Deserialize<ErrorInfo>(json, ContractJson.Compact)!.Code);
    }

    [Fact]
    public void Deserialize_NumericCode_IsRefused() =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ErrorInfo>("""{"code": 1, "message": "m"}""", ContractJson.Compact));

    [Fact]
    public void For_EveryCode_MapsToADocumentedExitCode()
    {
        var documented = new[] { ExitCodes.InvalidInput, ExitCodes.ModelError, ExitCodes.Failed, ExitCodes.InternalError };
        foreach (var code in Enum.GetValues<ErrorCode>())
        {
            Assert.Contains(ExitCodes.For(code), documented);
        }

        Assert.Equal(ExitCodes.ModelError, ExitCodes.For(ErrorCode.ModelError));
        Assert.Equal(ExitCodes.InvalidInput, ExitCodes.For(ErrorCode.InvalidImage));
    }

    [Theory]
    [InlineData(ImageInputReason.Corrupt, ErrorCode.InvalidImage)]
    [InlineData(ImageInputReason.Empty, ErrorCode.InvalidImage)]
    [InlineData(ImageInputReason.UnsupportedFormat, ErrorCode.UnsupportedImage)]
    [InlineData(ImageInputReason.TooLarge, ErrorCode.LimitExceeded)]
    [InlineData(ImageInputReason.TooManyPixels, ErrorCode.LimitExceeded)]
    public void ImageInputException_Reason_GivesItsCode(ImageInputReason reason, ErrorCode code)
    {
        var inner = new InvalidDataException("inner");
        var ex = new ImageInputException("a.png", reason, "detail", inner);

        Assert.Equal(code, ex.Code);
        Assert.Same(inner, ex.InnerException);
        Assert.Equal("a.png: detail", ex.Message);
    }
}
