using System.Text.Json;
using System.Text.Json.Serialization;

namespace GPT4RoI.Core.Models;

/// <summary>The <c>manifest.json</c> of an exported model folder (format version 1, see models/README.md).</summary>
public sealed record ModelManifest
{
    public const int SupportedFormatVersion = 1;

    public required string Format { get; init; }
    public required int FormatVersion { get; init; }
    public required string ModelId { get; init; }
    public required ModelDims Dims { get; init; }
    public required PreprocessSpec Preprocess { get; init; }
    public required PromptSpec Prompt { get; init; }
    public required TokenizerSpec Tokenizer { get; init; }
    public required EmbeddingsSpec Embeddings { get; init; }
    public required Dictionary<string, GraphSpec> Graphs { get; init; }
    public required Dictionary<string, VariantSpec> Variants { get; init; }
    public required string DefaultVariant { get; init; }
    public required Dictionary<string, FileSpec> Files { get; init; }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };
}

public sealed record ModelDims
{
    public required int ImageSize { get; init; }
    public required int PatchSize { get; init; }
    public required int NumPatches { get; init; }
    public required int VisionWidth { get; init; }
    public required int RegionWidth { get; init; }
    public required int NumLevels { get; init; }
    public required int[] FeatureMapSizes { get; init; }
    public required double[] FeatureStrides { get; init; }
    public required int RoiSize { get; init; }
    public required int SamplingRatio { get; init; }
    public required bool RoiAligned { get; init; }
    public required string RoiPool { get; init; }
    public required int Hidden { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int HeadDim { get; init; }
    public required int VocabSize { get; init; }
    public required int MaxPositions { get; init; }
}

public sealed record PreprocessSpec
{
    public required string Color { get; init; }
    public required bool ApplyExifOrientation { get; init; }
    public required int[] Resize { get; init; }
    public required double Scale { get; init; }
    public required float[] Mean { get; init; }
    public required float[] Std { get; init; }
    public required string Layout { get; init; }
}

public sealed record ImageTokensSpec
{
    public required string Start { get; init; }
    public required string Patch { get; init; }
    public required string End { get; init; }
    public required int Count { get; init; }
}

public sealed record PromptSpec
{
    public required string Template { get; init; }
    public required string System { get; init; }
    public required string SystemSuffix { get; init; }
    public required string ImageIntro { get; init; }
    public required string ImagePlaceholder { get; init; }
    public required ImageTokensSpec ImageTokens { get; init; }
    public required string HumanPrefix { get; init; }
    public required string AssistantPrefix { get; init; }
    public required string TurnSuffix { get; init; }
    public required string GenerationPrefix { get; init; }
    public required string RegionFirstMention { get; init; }
    public required string RegionLaterMention { get; init; }
    public required string[] StopStrings { get; init; }
    public required string[] StripFromAnswer { get; init; }
}

public sealed record TokenizerSpec
{
    public required string File { get; init; }
    public required string Type { get; init; }
    public required bool AddBos { get; init; }
    public required int BosId { get; init; }
    public required int EosId { get; init; }
    public required int UnkId { get; init; }
    public required int BaseVocabSize { get; init; }
    public required Dictionary<string, int> AddedTokens { get; init; }
}

public sealed record EmbeddingsSpec
{
    public required string File { get; init; }
    public required string Dtype { get; init; }
    public required int[] Shape { get; init; }
}

public sealed record GraphSpec
{
    public required string[] Inputs { get; init; }
    public required string[] Outputs { get; init; }
}

public sealed record VariantSpec
{
    public required Dictionary<string, string> Graphs { get; init; }
    public required string Dtype { get; init; }
}

public sealed record FileSpec
{
    public required long Bytes { get; init; }
    public required string Sha256 { get; init; }
}

/// <summary>A model folder that fails validation; the message names the file or field.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException() { }
    public ModelLoadException(string message) : base(message) { }
    public ModelLoadException(string message, Exception inner) : base(message, inner) { }
}
