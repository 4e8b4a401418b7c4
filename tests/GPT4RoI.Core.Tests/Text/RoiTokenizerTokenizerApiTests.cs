using System.Buffers;
using System.Text;
using GPT4RoI.Core.Text;
using GPT4RoI.TestSupport;
using Microsoft.ML.Tokenizers;

namespace GPT4RoI.Core.Tests.Text;

/// <summary><see cref="RoiTokenizer"/> used through its base type, <see cref="Tokenizer"/> of Microsoft.ML.Tokenizers.</summary>
public class RoiTokenizerTokenizerApiTests
{
    private static readonly string[] Texts =
    [
        .. TextTestData.ReadJson(Path.Combine(TextTestData.TestDataDir, "sentencepiece_cases.json")).GetProperty("encode")
            .EnumerateArray().Select(c => c.GetProperty("text").GetString()!),
        .. TextTestData.ReadJson(Path.Combine(TextTestData.GoldenDir, "tokenizer_cases.json")).GetProperty("cases")
            .EnumerateArray().Select(c => c.GetProperty("text").GetString()!),
        "a\uD800b\uDC00",
        "  <bbox>\u3000x\t<point>  ",
        TinyModel.Template.ImageTokens(4) + " What is region1 <bbox>?",
    ];

    private static readonly Lazy<RoiTokenizer> NoBos = new(() =>
    {
        var tok = TextTestData.Manifest().GetProperty("tokenizer");
        using var stream = File.OpenRead(Path.Combine(TextTestData.TinyModelDir, "tokenizer.model"));
        return new RoiTokenizer(
            stream, TextTestData.AddedTokens(), tok.GetProperty("bos_id").GetInt32(), tok.GetProperty("eos_id").GetInt32(),
            addBeginningOfSentence: false);
    });

    private static RoiTokenizer Roi => TextTestData.Tokenizer;

    private static Tokenizer Tok => TextTestData.Tokenizer;

    public static TheoryData<int> TextIndices() => [.. Enumerable.Range(0, Texts.Length)];

    [Theory]
    [MemberData(nameof(TextIndices))]
    public void EncodeToIds_ThroughBaseType_EqualsEncode(int index)
    {
        var text = Texts[index];
        var expected = Roi.Encode(text);
        Assert.Equal(expected, Tok.EncodeToIds(text));
        Assert.Equal(expected, Tok.EncodeToIds(text.AsSpan()));
        Assert.Equal(expected, Tok.EncodeToIds(text, considerPreTokenization: false, considerNormalization: false));
        Assert.Equal(expected, Tok.EncodeToTokens(text, out var normalized).Select(t => t.Id));
        Assert.Null(normalized);
        Assert.Equal(expected.Length, Tok.CountTokens(text));
        Assert.Equal(expected.Length, Tok.CountTokens(text.AsSpan()));
        Assert.Equal(Roi.Encode(text, addBos: false), NoBos.Value.EncodeToIds(text));
    }

    [Fact]
    public void Properties_ThroughBaseType_HaveNoPreTokenizerOrNormalizer()
    {
        Assert.Null(Tok.PreTokenizer);
        Assert.Null(Tok.Normalizer);
        Assert.True(Roi.AddBeginningOfSentence);
        Assert.False(NoBos.Value.AddBeginningOfSentence);
        Assert.Equal([1], Tok.EncodeToIds(""));
        Assert.Empty(NoBos.Value.EncodeToIds(""));
    }

    [Theory]
    [MemberData(nameof(TextIndices))]
    public void Decode_ThroughBaseType_EqualsDecode(int index)
    {
        var ids = Roi.Encode(Texts[index]);
        var expected = Roi.Decode(ids);
        Assert.Equal(expected, Tok.Decode(ids));
        Assert.Equal(expected, Tok.Decode(ids.ToList()));
        Assert.Equal(expected, Tok.Decode(ids.Select(i => i)));

        var buffer = new char[expected.Length];
        Assert.Equal(OperationStatus.Done, Tok.Decode(ids, buffer, out var idsConsumed, out var charsWritten));
        Assert.Equal(ids.Length, idsConsumed);
        Assert.Equal(expected, new string(buffer, 0, charsWritten));
    }

    [Theory]
    [MemberData(nameof(TextIndices))]
    public void DecodeToSpan_DestinationTooSmall_WritesDecodedPrefixOfIds(int index)
    {
        var ids = Roi.Encode(Texts[index]);
        var full = Roi.Decode(ids);
        for (var size = 0; size < full.Length; size++)
        {
            var buffer = new char[size];
            Assert.Equal(OperationStatus.DestinationTooSmall, Tok.Decode(ids, buffer, out var idsConsumed, out var charsWritten));
            var written = new string(buffer, 0, charsWritten);
            Assert.Equal(Roi.Decode(ids.AsSpan(0, idsConsumed)), written);
            Assert.StartsWith(written, full, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Decode_ThroughBaseTypeWithInvalidId_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Decode(new List<int> { 1, 517 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Decode(new[] { -1 }, new char[8], out _, out _));
    }

    [Theory]
    [MemberData(nameof(TextIndices))]
    public void EncodeToTokens_AnyText_OffsetsMapBackToTheText(int index)
    {
        var text = Texts[index];
        var tokens = Tok.EncodeToTokens(text, out _);
        var covered = new bool[text.Length];
        var previousEnd = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            var (start, length) = t.Offset.GetOffsetAndLength(text.Length);
            Assert.True(start >= previousEnd, $"token {i} starts at {start}, before the previous end {previousEnd}");
            previousEnd = start + length;
            var slice = text.Substring(start, length);
            covered.AsSpan(start, length).Fill(true);
            Assert.Equal(Roi.GetPiece(t.Id), t.Value);
            if (t.Id == Roi.BosId)
            {
                Assert.Equal((0, 0), (start, length));
            }
            else if (t.Id >= Roi.BaseVocabSize)
            {
                Assert.Equal(t.Value, slice);
            }
            else if (t.Value.StartsWith("<0x", StringComparison.Ordinal) && t.Value.Length == 6)
            {
                // The first byte piece of a character covers it, and its UTF-8 bytes are the following byte pieces.
                if (length == 0)
                {
                    continue;
                }

                var bytes = Encoding.UTF8.GetBytes(slice);
                var pieces = tokens.Skip(i).Take(bytes.Length).Select(x => x.Value);
                Assert.Equal(bytes.Select(b => $"<0x{b:X2}>"), pieces);
            }
            else
            {
                // A space in the text is '▁' in the piece; the dummy-prefix '▁' covers nothing.
                var normalized = slice.Replace(' ', '\u2581');
                Assert.True(t.Value == normalized || t.Value == "\u2581" + normalized, $"piece '{t.Value}' covers '{slice}'");
            }
        }

        // What no token covers is whitespace stripped around added tokens.
        for (var i = 0; i < text.Length; i++)
        {
            Assert.True(covered[i] || PythonText.IsWhiteSpace(text[i]), $"character {i} of '{text}' is not covered");
        }
    }

    [Fact]
    public void EncodeToTokens_TextWithAddedTokensAndFallback_HasExpectedOffsets()
    {
        // "x <bbox> é": BOS, "▁" (dummy prefix), "x", "<bbox>", "▁", 0xC3 (covers "é"), 0xA9 (empty, after "é").
        var tokens = Tok.EncodeToTokens("x <bbox> é", out _);
        Assert.Equal([1, 473, 123, 515, 473, 198, 172], tokens.Select(t => t.Id));
        Assert.Equal(
            [new Range(0, 0), new Range(0, 0), new Range(0, 1), new Range(2, 8), new Range(9, 9), new Range(9, 10), new Range(10, 10)],
            tokens.Select(t => t.Offset));
    }

    [Theory]
    [MemberData(nameof(TextIndices))]
    public void EncodeToIds_MaxTokenCount_TruncatesToWholeCharacters(int index)
    {
        var text = Texts[index];
        var all = Tok.EncodeToTokens(text, out _);
        for (var max = 1; max <= all.Count + 1; max++)
        {
            var ids = Tok.EncodeToIds(text, max, out var normalized, out var charsConsumed);
            Assert.Null(normalized);
            Assert.InRange(ids.Count, Math.Max(0, Math.Min(max, all.Count) - 3), Math.Min(max, all.Count));
            Assert.Equal(all.Take(ids.Count).Select(t => t.Id), ids);
            if (ids.Count == all.Count)
            {
                Assert.Equal(text.Length, charsConsumed);
            }
            else
            {
                // The first token left out is not the second, third or fourth byte of a character.
                Assert.False(IsLaterByteOfCharacter(all[ids.Count]));
                Assert.Equal(ids.Count == 0 ? 0 : all[ids.Count - 1].Offset.End.Value, charsConsumed);
            }

            Assert.Equal(charsConsumed, Tok.GetIndexByTokenCount(text, max, out _, out var tokenCount));
            Assert.Equal(ids.Count, tokenCount);

            var fromEnd = Tok.GetIndexByTokenCountFromEnd(text, max, out _, out var tailCount);
            Assert.InRange(tailCount, Math.Max(0, Math.Min(max, all.Count) - 3), Math.Min(max, all.Count));
            var firstKept = all.Count - tailCount;
            Assert.Equal(tailCount == 0 ? text.Length : all[firstKept].Offset.Start.Value, fromEnd);
            Assert.True(tailCount == 0 || !IsLaterByteOfCharacter(all[firstKept]));
        }
    }

    [Fact]
    public void EncodeToIds_MaxTokenCountInsideCharacter_StopsBeforeIt()
    {
        // BOS "▁" 0xF0 0x9F 0x98 0x80 "▁a": the emoji's four byte pieces stay together.
        var text = "\U0001F600 a";
        Assert.Equal([1, 473, 243, 162, 155, 131, 266], Roi.Encode(text));
        Assert.Equal([1, 473], Tok.EncodeToIds(text, 4, out _, out var consumed));
        Assert.Equal(0, consumed);
        Assert.Equal([1, 473, 243, 162, 155, 131], Tok.EncodeToIds(text, 6, out _, out consumed));
        Assert.Equal(2, consumed);
        Assert.Equal(2, Tok.GetIndexByTokenCountFromEnd(text, 3, out _, out var tokenCount)); // "▁a" covers " a"
        Assert.Equal(1, tokenCount);
    }

    [Fact]
    public void EncodeToIds_MaxTokenCountNotPositive_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.EncodeToIds("abc", 0, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.GetIndexByTokenCount("abc", -1, out _, out _));
    }

    [Fact]
    public void EncodeToTokens_ParallelCalls_GiveIdenticalTokens()
    {
        var expected = Texts.Select(t => Tok.EncodeToTokens(t, out _).ToArray()).ToArray();
        var failures = 0;
        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var k = i % Texts.Length;
            if (!Tok.EncodeToTokens(Texts[k], out _).SequenceEqual(expected[k]) ||
                Tok.Decode(expected[k].Select(t => t.Id)) != Roi.Decode(expected[k].Select(t => t.Id).ToArray()))
            {
                Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }

    private static bool IsLaterByteOfCharacter(EncodedToken token) =>
        token.Value.StartsWith("<0x", StringComparison.Ordinal) && token.Offset.Start.Value == token.Offset.End.Value;
}
