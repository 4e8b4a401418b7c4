namespace GPT4RoI.Core.Models;

/// <summary>The tensor names of one ONNX graph (an entry of manifest <c>graphs</c>: <c>vision</c>, <c>region_head</c>,
/// <c>decoder</c>), in the order the engine passes and reads them.</summary>
public sealed record GraphSpec
{
    /// <summary>Input names in order; the decoder has <c>inputs_embeds</c>, <c>attention_mask</c>, <c>position_ids</c>, then
    /// <c>past_key_values.{i}.key|value</c> per layer (3 + 2 × layers names).</summary>
    public required string[] Inputs { get; init; }

    /// <summary>Output names in order; vision gives <c>image_tokens</c> then one fused map per level, the decoder
    /// <c>logits</c> then <c>present.{i}.key|value</c> per layer.</summary>
    public required string[] Outputs { get; init; }
}
