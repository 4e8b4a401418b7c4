using GPT4RoI.Core.Models;
using GPT4RoI.Core.Text;

namespace GPT4RoI.Fuzz.Targets;

/// <summary>
/// The tokenizer model loader (<see cref="RoiTokenizer"/> over a SentencePiece ModelProto) with the tiny model's added
/// tokens, then an encode and decode with the loaded model. A bad model is refused with
/// <see cref="InvalidDataException"/> or <see cref="NotSupportedException"/>, special ids outside the vocabulary with
/// <see cref="ArgumentOutOfRangeException"/> for <c>bosId</c>/<c>eosId</c>.
/// </summary>
internal sealed class TokenizerModelTarget : FuzzTarget
{
    private readonly TokenizerSpec _spec = ModelManifest.Load(Path.Combine(RepoLayout.TinyModel, "manifest.json")).Tokenizer;

    public override string Name => "tokenizer-model";

    public override string Description => "SentencePiece ModelProto loader (RoiTokenizer), then encode/decode with the loaded model";

    public override int MaxInputBytes => 256 * 1024;

    public override IReadOnlyList<byte[]> Dictionary { get; } = [[0x0A], [0x12], [0x1A], [0x22], [0x08], [0x10], [0x18], [0x15], [0x7F], [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], .. Tokens("\u2581", "<unk>", "<s>", "</s>", "<0x41>", "<0xFF>")];

    public override void Run(ReadOnlySpan<byte> data)
    {
        using var stream = new MemoryStream(data.ToArray(), writable: false);
        var tokenizer = new RoiTokenizer(stream, _spec.AddedTokens, _spec.BosId, _spec.EosId);
        var ids = tokenizer.Encode("A chair <region1> <bbox> left of ### \u00E9\u4E2D\uD83D\uDE00 \t\n  end");
        foreach (var id in ids)
        {
            if (id < 0 || id >= tokenizer.VocabSize)
            {
                throw new FuzzInvariantException($"encode produced id {id} outside the vocabulary of {tokenizer.VocabSize}");
            }
        }

        _ = tokenizer.Decode(ids);
        var incremental = tokenizer.CreateStream();
        foreach (var id in ids)
        {
            _ = incremental.Decode(id);
        }

        _ = incremental.Flush();
    }

    public override bool IsExpected(Exception exception) => exception switch
    {
        InvalidDataException or NotSupportedException => true,
        ArgumentOutOfRangeException { ParamName: "bosId" or "eosId" } => true,
        _ => false,
    };
}
