using System.Text.Json;
using System.Text.Json.Serialization;

namespace GPT4RoI.Core.Models;

/// <summary>The <c>manifest.json</c> of an exported model folder (format version 1, see models/README.md).</summary>
public sealed record ModelManifest
{
    /// <summary>The only <c>format_version</c> this build reads; other versions are rejected.</summary>
    public const int SupportedFormatVersion = 2;

    /// <summary>Must be <c>gpt4roi-onnx</c> (JSON <c>format</c>).</summary>
    public required string Format { get; init; }

    /// <summary>Must equal <see cref="SupportedFormatVersion"/> (JSON <c>format_version</c>).</summary>
    public required int FormatVersion { get; init; }

    /// <summary>Name of the model, e.g. <c>gpt4roi-tiny-shapes</c>; results report it and storage result names contain it
    /// (JSON <c>model_id</c>).</summary>
    public required string ModelId { get; init; }

    /// <summary>Every size of the model (JSON <c>dims</c>).</summary>
    public required ModelDims Dims { get; init; }

    /// <summary>Image preprocessing (JSON <c>preprocess</c>).</summary>
    public required PreprocessSpec Preprocess { get; init; }

    /// <summary>Prompt strings and special tokens (JSON <c>prompt</c>).</summary>
    public required PromptSpec Prompt { get; init; }

    /// <summary>Tokenizer file, special ids and added tokens (JSON <c>tokenizer</c>).</summary>
    public required TokenizerSpec Tokenizer { get; init; }

    /// <summary>The token embedding table (JSON <c>embeddings</c>).</summary>
    public required EmbeddingsSpec Embeddings { get; init; }

    /// <summary>Input and output tensor names of each graph in <see cref="GraphNames"/> (JSON <c>graphs</c>).</summary>
    public required Dictionary<string, GraphSpec> Graphs { get; init; }

    /// <summary>Variant name (<c>fp32</c>, <c>fp16</c>) → its graph files and float type (JSON <c>variants</c>).</summary>
    public required Dictionary<string, VariantSpec> Variants { get; init; }

    /// <summary>The variant used when none is asked for; a key of <see cref="Variants"/> (JSON <c>default_variant</c>).</summary>
    public required string DefaultVariant { get; init; }

    /// <summary>File name → size and SHA-256, for every file of the folder; opening a folder checks the files the chosen
    /// variant needs (JSON <c>files</c>).</summary>
    public required Dictionary<string, FileSpec> Files { get; init; }
    /// <summary>Decoding defaults of the model (optional; absent in older folders: greedy, 64 tokens).</summary>
    public GenerationSpec? Generation { get; init; }

    /// <summary>How detected regions enter the prompt (optional; absent: one conversation per region, JSON
    /// <c>detection_prompt</c>).</summary>
    public DetectionPromptSpec? DetectionPrompt { get; init; }

    /// <summary>The graphs every model folder has.</summary>
    public static IReadOnlyList<string> GraphNames { get; } = ["vision", "region_head", "decoder"];

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>Reads and validates a <c>manifest.json</c> (fields and their consistency; not the files it lists).</summary>
    /// <exception cref="ModelLoadException">The file is missing, not JSON, or a field is missing or inconsistent.</exception>
    public static ModelManifest Load(string manifestPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(manifestPath);
        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllBytes(manifestPath), JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException($"{manifestPath}: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new ModelLoadException($"{manifestPath}: {ex.Message}", ex);
        }

        if (manifest is null)
        {
            throw new ModelLoadException($"{manifestPath}: empty manifest");
        }

        Validate(manifest, manifestPath);
        return manifest;
    }

    private static void Validate(ModelManifest m, string where)
    {
        if (m.Format != "gpt4roi-onnx")
        {
            throw new ModelLoadException($"{where}: \"format\" is '{m.Format}', expected 'gpt4roi-onnx'");
        }

        if (m.FormatVersion != ModelManifest.SupportedFormatVersion)
        {
            throw new ModelLoadException(
                $"{where}: \"format_version\" {m.FormatVersion} is not supported (this build reads {ModelManifest.SupportedFormatVersion}; " +
                "version 2's decoder runs over a fixed-capacity key/value cache: export the folder again with python3 -m gpt4roi_ref.export)");
        }

        var d = m.Dims;
        Require(d.NumLevels > 0 && d.FeatureMapSizes.Length == d.NumLevels && d.FeatureStrides.Length == d.NumLevels,
            where, "dims.feature_map_sizes/feature_strides must have num_levels entries");
        Require(d.Hidden == d.Heads * d.HeadDim, where, "dims.hidden must equal heads * head_dim");
        Require(d.NumPatches == (d.ImageSize / d.PatchSize) * (d.ImageSize / d.PatchSize), where, "dims.num_patches does not match image_size/patch_size");
        Require(d.RoiAligned && d.RoiPool == "avg", where, "only aligned average RoIAlign is supported (dims.roi_aligned, dims.roi_pool)");
        Require(m.Preprocess.Mean.Length == 3 && m.Preprocess.Std.Length == 3 && m.Preprocess.Std.All(s => s > 0),
            where, "preprocess.mean/std must have 3 values, std > 0");
        Require(m.Preprocess.Resize.Length == 2 && m.Preprocess.Resize[0] == d.ImageSize && m.Preprocess.Resize[1] == d.ImageSize,
            where, "preprocess.resize must be [image_size, image_size]");
        Require(m.Preprocess.Mode is null or "stretch_bilinear" or "clip_processor_stretch",
            where, $"preprocess.mode '{m.Preprocess.Mode}' is not stretch_bilinear or clip_processor_stretch");
        if (m.Generation is { } gen)
        {
            Require(float.IsFinite(gen.Temperature) && gen.Temperature >= 0 && gen.TopK >= 0 && float.IsFinite(gen.TopP) && gen.TopP > 0 && gen.TopP <= 1 &&
                    gen.MaxNewTokens >= 1, where, "generation: temperature must be >= 0, top_k >= 0, top_p in (0, 1], max_new_tokens >= 1");
        }

        if (m.Prompt.QuestionRules is { } rules)
        {
            Require(rules.ShortTag.Contains("{n}", StringComparison.Ordinal) && !rules.ShortTag.StartsWith("{n}", StringComparison.Ordinal),
                where, "prompt.question_rules.short_tag must contain {n} after some text");
        }

        if (m.Tokenizer.SpecialTokens is { } special)
        {
            Require(special.Values.All(v => !string.IsNullOrEmpty(v)), where, "tokenizer.special_tokens has an empty token");
        }

        Require(m.Embeddings.Shape.Length == 2 && m.Embeddings.Shape[0] == d.VocabSize && m.Embeddings.Shape[1] == d.Hidden,
            where, "embeddings.shape must be [vocab_size, hidden]");
        Require(m.Embeddings.Dtype == "float32", where, "embeddings.dtype must be float32");
        Require(m.Prompt.StopStrings.Length > 0, where, "prompt.stop_strings is empty");
        var p = m.Prompt;
        foreach (var (field, token) in new[] { ("image_tokens.start", p.ImageTokens.Start), ("image_tokens.patch", p.ImageTokens.Patch),
                     ("image_tokens.end", p.ImageTokens.End), ("region_token", p.RegionToken) })
        {
            Require(m.Tokenizer.AddedTokens.ContainsKey(token), where, $"prompt.{field} '{token}' is not in tokenizer.added_tokens");
        }

        Require(p.RegionFirstMention.Contains(p.RegionToken, StringComparison.Ordinal), where, "prompt.region_first_mention must contain prompt.region_token");
        Require(p.ImageIntro.Contains(p.ImagePlaceholder, StringComparison.Ordinal), where, "prompt.image_intro must contain prompt.image_placeholder");

        foreach (var g in GraphNames)
        {
            Require(m.Graphs.ContainsKey(g), where, $"graphs.{g} is missing");
            foreach (var (name, v) in m.Variants)
            {
                Require(v.Graphs.ContainsKey(g), where, $"variants.{name}.graphs.{g} is missing");
            }
        }

        if (m.DetectionPrompt is { } dp)
        {
            Require(dp.Mode is DetectionPromptSpec.PerRegion or DetectionPromptSpec.OfficialCliDemo or DetectionPromptSpec.DetLlava,
                where, $"detection_prompt.mode '{dp.Mode}' is unknown (per_region, official_cli_demo or det_llava)");
            if (dp.IsOneTurn)
            {
                Require(dp.ImageIntro is { } intro && dp.RegionsPlaceholder is { Length: > 0 } ph && intro.Contains(p.ImagePlaceholder, StringComparison.Ordinal) &&
                        intro.Contains(ph, StringComparison.Ordinal), where, "detection_prompt.image_intro must contain prompt.image_placeholder and detection_prompt.regions_placeholder");
                Require(dp.RegionText is { } rt && rt.Split(p.RegionToken).Length == 2, where, "detection_prompt.region_text must contain prompt.region_token once");
            }

            Require(dp.MaxRegions is null or > 0 && dp.FallbackFirst is null or >= 0 && dp.ScoreThreshold is null or >= 0 and < 1 &&
                    dp.MinBoxSideNormalized is null or >= 0 and < 1, where, "detection_prompt: max_regions > 0, fallback_first >= 0, score_threshold and min_box_side_normalized in [0, 1)");
        }

        Require(m.Graphs["decoder"].Inputs.Length == 2 + 2 * d.Layers, where, "graphs.decoder.inputs must list inputs_embeds, position_ids and 2*layers cache names");
        Require(m.Graphs["decoder"].Outputs.Length == 1 + 2 * d.Layers, where, "graphs.decoder.outputs must list 1 + 2*layers names");
        Require(m.Graphs["vision"].Outputs.Length == 1 + d.NumLevels, where, "graphs.vision.outputs must list image tokens + num_levels maps");
    }

    private static void Require(bool ok, string where, string message)
    {
        if (!ok)
        {
            throw new ModelLoadException($"{where}: {message}");
        }
    }
}
