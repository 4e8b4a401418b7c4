namespace GPT4RoI.Core.Models;

/// <summary>The token embedding table of a model folder (manifest <c>embeddings</c>).</summary>
public sealed record EmbeddingsSpec
{
    /// <summary>File name in the folder, e.g. <c>embed_tokens.bin</c>: raw little-endian values, C order (JSON <c>file</c>).</summary>
    public required string File { get; init; }

    /// <summary>Element type (JSON <c>dtype</c>); only <c>float32</c> is accepted.</summary>
    public required string Dtype { get; init; }

    /// <summary><c>[vocab_size, hidden]</c>; must equal <see cref="ModelDims.VocabSize"/> and <see cref="ModelDims.Hidden"/>
    /// (JSON <c>shape</c>).</summary>
    public required int[] Shape { get; init; }
}
