using System.Buffers;
using System.Text;
using GPT4RoI.Core.Text;

namespace GPT4RoI.Core.Tests.Text;

/// <summary><see cref="RoiTokenizer.CreateStream"/>: decoding id by id gives, concatenated, what decoding all ids gives.</summary>
public class RoiTokenizerIncrementalDecodeTests
{
    private static readonly Lazy<SentencePieceModel> Model =
        new(() => SentencePieceModel.Load(File.ReadAllBytes(Path.Combine(TextTestData.TinyModelDir, "tokenizer.model"))));

    private static RoiTokenizer Tok => TextTestData.Tokenizer;

    public static TheoryData<string> GoldenCaseNames() => [.. TextTestData.GoldenCaseNames()];

    [Theory]
    [MemberData(nameof(GoldenCaseNames))]
    public void Decode_GoldenPromptAndGeneratedIds_ConcatenationEqualsDecode(string caseName)
    {
        var turns = TextTestData.ReadJson(Path.Combine(TextTestData.GoldenDir, caseName, "case.json")).GetProperty("turns");
        foreach (var turn in turns.EnumerateArray())
        {
            var generated = TextTestData.Ints(turn.GetProperty("greedy_ids"));
            Assert.Equal(turn.GetProperty("text").GetString(), StreamDecode(generated));
            Assert.Equal(Tok.Decode(generated), StreamDecode(generated));
            var prompt = TextTestData.Ints(turn.GetProperty("prompt_ids"));
            Assert.Equal(Tok.Decode(prompt), StreamDecode(prompt));
        }
    }

    [Fact]
    public void Decode_FixtureIds_ConcatenationEqualsDecode()
    {
        var sentencepiece = TextTestData.ReadJson(Path.Combine(TextTestData.TestDataDir, "sentencepiece_cases.json"));
        var golden = TextTestData.ReadJson(Path.Combine(TextTestData.GoldenDir, "tokenizer_cases.json"));
        var sequences = sentencepiece.GetProperty("encode").EnumerateArray()
            .Concat(sentencepiece.GetProperty("decode").EnumerateArray())
            .Concat(golden.GetProperty("cases").EnumerateArray())
            .Select(c => TextTestData.Ints(c.GetProperty("ids")))
            .ToArray();
        Assert.True(sequences.Length > 200);
        foreach (var ids in sequences)
        {
            Assert.Equal(Tok.Decode(ids), StreamDecode(ids));
        }
    }

    [Fact]
    public void Decode_RandomIdSequences_ConcatenationEqualsDecodeAndReference()
    {
        // Any ids, with byte pieces (3..258) over-represented so that valid, truncated and invalid UTF-8 all occur.
        var rng = new Random(20240611);
        for (var n = 0; n < 4000; n++)
        {
            var ids = new int[rng.Next(0, 40)];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = rng.Next(4) switch
                {
                    0 => rng.Next(Tok.VocabSize),
                    1 => rng.Next(3, 259),
                    2 => RandomUtf8Byte(rng),
                    _ => rng.Next(259, Tok.BaseVocabSize),
                };
            }

            var expected = Tok.Decode(ids);
            Assert.Equal(ReferenceDecode(ids), expected);
            Assert.Equal(expected, StreamDecode(ids));
        }
    }

    [Fact]
    public void Decode_RandomTextsEncoded_ConcatenationEqualsText()
    {
        string[] alphabet = ["a", "ss", "###", " ", "  ", "\t", "\n", "é", "中", "\U0001F600", "<bbox>", "<im_patch>", "is", "x", "\u2581"];
        var rng = new Random(7);
        for (var n = 0; n < 1000; n++)
        {
            var text = string.Concat(Enumerable.Range(0, rng.Next(1, 16)).Select(_ => alphabet[rng.Next(alphabet.Length)]));
            var ids = Tok.Encode(text);
            Assert.Equal(Tok.Decode(ids), StreamDecode(ids));
        }
    }

    [Fact]
    public void Decode_MultiByteCharacter_HeldBackUntilComplete()
    {
        var stream = Tok.CreateStream();
        Assert.Equal("a", stream.Decode(266)); // "▁a": leading space of the first piece dropped
        Assert.Equal("", stream.Decode(243)); // 0xF0
        Assert.Equal("", stream.Decode(162)); // 0x9F
        Assert.Equal("", stream.Decode(155)); // 0x98
        Assert.Equal("\U0001F600", stream.Decode(131)); // 0x80
        Assert.Equal(" a", stream.Decode(266));
        Assert.Equal("", stream.Flush());
    }

    [Fact]
    public void Decode_InvalidUtf8_ReplacementAsSoonAsCertain()
    {
        var stream = Tok.CreateStream();
        Assert.Equal("", stream.Decode(243)); // 0xF0
        Assert.Equal("\uFFFDA", stream.Decode(68)); // 0x41 cannot continue it
        Assert.Equal("\uFFFD", stream.Decode(172)); // a lone continuation byte
        Assert.Equal("", stream.Decode(198)); // 0xC3
        Assert.Equal("\uFFFD a", stream.Decode(266)); // a piece ends the bytes; text has started, so "▁a" keeps its space
        Assert.Equal("", stream.Decode(228)); // 0xE1
        Assert.Equal("", stream.Decode(131)); // 0x80
        Assert.Equal("\uFFFD\uFFFD", stream.Flush()); // each byte of the unfinished character
        Assert.Equal("a", stream.Decode(266)); // after Flush, a new sequence
    }

    [Fact]
    public void Decode_AddedTokens_ByNameAndRestartTheLeadingSpaceRule()
    {
        var stream = Tok.CreateStream();
        string[] parts = [stream.Decode(1), stream.Decode(266), stream.Decode(266), stream.Decode(515), stream.Decode(266), stream.Decode(2)];
        Assert.Equal(["", "a", " a", "<bbox>", "a", ""], parts);
        Assert.Equal("", stream.Decode(198)); // 0xC3 held back ...
        Assert.Equal("\uFFFD<point>", stream.Decode(516)); // ... until an added token ends the run
    }

    [Fact]
    public void Decode_PiecesAndAddedTokens_DoesNotAllocate()
    {
        int[] ids = [1, 306, 266, 515, 266, 68, 13, 2];
        var stream = Tok.CreateStream();
        for (var i = 0; i < 1000; i++)
        {
            foreach (var id in ids)
            {
                _ = stream.Decode(id); // warm up (tiered JIT)
            }
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            foreach (var id in ids)
            {
                _ = stream.Decode(id);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(517)]
    public void Decode_IdOutsideVocabulary_Throws(int id)
    {
        var stream = Tok.CreateStream();
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Decode(id));
    }

    private static string StreamDecode(int[] ids)
    {
        var stream = Tok.CreateStream();
        var sb = new StringBuilder();
        foreach (var id in ids)
        {
            sb.Append(stream.Decode(id));
        }

        return sb.Append(stream.Flush()).ToString();
    }

    private static int RandomUtf8Byte(Random rng)
    {
        // Lead and continuation bytes of multi-byte characters: 0x80-0xBF, 0xC2-0xF4 (byte b is id b + 3).
        return 3 + (rng.Next(2) == 0 ? rng.Next(0x80, 0xC0) : rng.Next(0xC2, 0xF5));
    }

    /// <summary>
    /// prompt.py's decode written out plainly: added tokens by name; each run between them decoded by sentencepiece's rules
    /// with all byte pieces of a stretch collected first and then decoded (one U+FFFD per invalid byte).
    /// </summary>
    private static string ReferenceDecode(int[] ids)
    {
        var model = Model.Value;
        var output = new StringBuilder();
        var bytes = new List<byte>();
        var textSoFar = false;
        var stripped = false;
        foreach (var id in ids)
        {
            if (id >= model.Count)
            {
                FlushBytes();
                output.Append(Tok.GetPiece(id));
                textSoFar = stripped = false;
                continue;
            }

            var piece = model.GetPiece(id);
            if (model.IsByte(id))
            {
                bytes.Add(Convert.ToByte(piece[3..5], 16));
                continue;
            }

            FlushBytes();
            string text;
            if (model.IsControl(id))
            {
                text = "";
            }
            else if (id == model.UnknownId)
            {
                text = model.UnknownSurface;
            }
            else
            {
                if (!textSoFar && !stripped && piece[0] == '\u2581')
                {
                    piece = piece[1..];
                    stripped = true;
                }

                text = piece.Replace('\u2581', ' ');
            }

            output.Append(text);
            textSoFar |= text.Length > 0;
        }

        FlushBytes();
        return output.ToString();

        void FlushBytes()
        {
            var rest = bytes.ToArray().AsSpan();
            textSoFar |= rest.Length > 0;
            while (!rest.IsEmpty)
            {
                if (Rune.DecodeFromUtf8(rest, out var rune, out var consumed) == OperationStatus.Done)
                {
                    output.Append(rune.ToString());
                    rest = rest[consumed..];
                }
                else
                {
                    output.Append('\uFFFD');
                    rest = rest[1..];
                }
            }

            bytes.Clear();
        }
    }
}
