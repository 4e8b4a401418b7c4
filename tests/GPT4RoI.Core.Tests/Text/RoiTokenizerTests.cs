using System.Text;
using System.Text.Json;
using GPT4RoI.Core.Text;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Core.Tests.Text;

public class RoiTokenizerTests
{
    private static readonly JsonElement[] PythonCases =
        [.. TextTestData.ReadJson(Path.Combine(TextTestData.GoldenDir, "tokenizer_cases.json")).GetProperty("cases").EnumerateArray()];

    private static readonly JsonElement Sentencepiece =
        TextTestData.ReadJson(Path.Combine(TextTestData.TestDataDir, "sentencepiece_cases.json"));

    private static readonly JsonElement[] SentencepieceEncode = [.. Sentencepiece.GetProperty("encode").EnumerateArray()];
    private static readonly JsonElement[] SentencepieceDecode = [.. Sentencepiece.GetProperty("decode").EnumerateArray()];

    private static RoiTokenizer Tok => TextTestData.Tokenizer;

    public static TheoryData<int> PythonCaseIndices() => [.. Enumerable.Range(0, PythonCases.Length)];

    public static TheoryData<int> SentencepieceEncodeIndices() => [.. Enumerable.Range(0, SentencepieceEncode.Length)];

    public static TheoryData<int> SentencepieceDecodeIndices() => [.. Enumerable.Range(0, SentencepieceDecode.Length)];

    [Fact]
    public void Fixture_PythonCases_AreAllPresent()
    {
        Assert.Equal(18, PythonCases.Length);
        Assert.True(SentencepieceEncode.Length > 150);
    }

    [Theory]
    [MemberData(nameof(PythonCaseIndices))]
    public void Encode_PythonReferenceCase_MatchesIdsWithBos(int index)
    {
        var c = PythonCases[index];
        Assert.Equal(TextTestData.Ints(c.GetProperty("ids")), Tok.Encode(c.GetProperty("text").GetString()!));
    }

    [Theory]
    [MemberData(nameof(PythonCaseIndices))]
    public void Encode_PythonReferenceCaseWithoutBos_MatchesIds(int index)
    {
        var c = PythonCases[index];
        Assert.Equal(TextTestData.Ints(c.GetProperty("ids_no_bos")), Tok.Encode(c.GetProperty("text").GetString()!, addBos: false));
    }

    [Theory]
    [MemberData(nameof(PythonCaseIndices))]
    public void Decode_PythonReferenceCase_MatchesText(int index)
    {
        var c = PythonCases[index];
        Assert.Equal(c.GetProperty("decoded").GetString(), Tok.Decode(TextTestData.Ints(c.GetProperty("ids"))));
        Assert.Equal(c.GetProperty("decoded").GetString(), Tok.Decode(TextTestData.Ints(c.GetProperty("ids_no_bos"))));
    }

    [Theory]
    [MemberData(nameof(SentencepieceEncodeIndices))]
    public void Encode_SentencepieceLibraryCase_MatchesIds(int index)
    {
        var c = SentencepieceEncode[index];
        Assert.Equal(TextTestData.Ints(c.GetProperty("ids")), Tok.Encode(c.GetProperty("text").GetString()!, addBos: false));
    }

    [Theory]
    [MemberData(nameof(SentencepieceEncodeIndices))]
    public void Decode_SentencepieceLibraryEncodeCase_MatchesText(int index)
    {
        var c = SentencepieceEncode[index];
        Assert.Equal(c.GetProperty("decoded").GetString(), Tok.Decode(TextTestData.Ints(c.GetProperty("ids"))));
    }

    [Theory]
    [MemberData(nameof(SentencepieceDecodeIndices))]
    public void Decode_SentencepieceLibraryDecodeCase_MatchesText(int index)
    {
        var c = SentencepieceDecode[index];
        Assert.Equal(c.GetProperty("decoded").GetString(), Tok.Decode(TextTestData.Ints(c.GetProperty("ids"))));
    }

    [Theory]
    [InlineData("sssistant", new[] { 473, 267, 475, 269, 268 })]
    [InlineData("#######", new[] { 473, 261, 261, 262 })]
    public void Encode_ScoreTie_MergesLeftmostFirst(string text, int[] expected)
    {
        // Microsoft.ML.Tokenizers' LlamaTokenizer gives 384 271 and 262 261 261 here; sentencepiece merges the leftmost pair.
        Assert.Equal(expected, Tok.Encode(text, addBos: false));
    }

    [Fact]
    public void Encode_AddedTokensWithSurroundingWhitespace_StripsWhitespaceAndDropsEmptyChunks()
    {
        Assert.Equal(Tok.Encode("x<bbox>y"), Tok.Encode("x \t\n<bbox>\u3000 y"));
        Assert.Equal([1, 515, 515], Tok.Encode(" <bbox>  <bbox> "));
    }

    [Fact]
    public void Encode_PythonOnlyWhitespaceAroundAddedToken_IsStripped()
    {
        // U+001F is whitespace to Python's str.strip but not to char.IsWhiteSpace; U+200B is neither.
        Assert.Equal(Tok.Encode("x<bbox>y"), Tok.Encode("x\u001f<bbox>\u001fy"));
        Assert.NotEqual(Tok.Encode("x<bbox>y"), Tok.Encode("x\u200b<bbox>y"));
    }

    [Fact]
    public void Encode_AddedTokenPrefixOfText_SplitsOnWholeTokenOnly()
    {
        Assert.Equal([1, 512, 512, 514], Tok.Encode("<im_patch><im_patch><im_end>"));
        var partial = Tok.Encode("<im_patc");
        Assert.DoesNotContain(512, partial);
    }

    [Fact]
    public void Encode_PromptWithImageTokens_HasOnePatchIdPerPatch()
    {
        var text = "Hi " + TinyModel.Template.ImageTokens(256) + " there";
        var ids = Tok.Encode(text);
        Assert.Equal(256, ids.Count(i => i == 512));
        Assert.Equal(1, ids.Count(i => i == 513));
        Assert.Equal(1, ids.Count(i => i == 514));
    }

    [Fact]
    public void Encode_LoneSurrogate_EncodesAsReplacementCharacter()
    {
        Assert.Equal(Tok.Encode("a\uFFFDb"), Tok.Encode("a\uD800b"));
        Assert.Equal(Tok.Encode("a\uFFFDb"), Tok.Encode("a\uDC00b"));
    }

    [Fact]
    public void Decode_SingleId_MatchesGeneralDecoding()
    {
        for (var id = 0; id < Tok.VocabSize; id++)
        {
            var general = new StringBuilder();
            Tok.Decode([id], general);
            Assert.Equal(general.ToString(), Tok.Decode([id]));
        }

        Assert.Equal("", Tok.Decode([1]));
        Assert.Equal(" \u2047 ", Tok.Decode([0]));
        Assert.Equal("<bbox>", Tok.Decode([515]));
        Assert.Equal("the", Tok.Decode([306]));
        Assert.Equal("\uFFFD", Tok.Decode([198]));
        Assert.Equal("A", Tok.Decode([68]));
    }

    [Fact]
    public void Decode_SingleId_DoesNotAllocate()
    {
        ReadOnlySpan<int> ids = [306];
        for (var i = 0; i < 1000; i++)
        {
            _ = Tok.Decode(ids); // warm up (tiered JIT)
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            _ = Tok.Decode(ids);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Decode_RunsBetweenAddedTokens_DropLeadingSpaceOfEachRun()
    {
        // "▁a" "<bbox>" "▁a": each run drops its first '▁', as prompt.py decodes runs separately.
        Assert.Equal("a<bbox>a", Tok.Decode([266, 515, 266]));
        Assert.Equal("a a", Tok.Decode([266, 266]));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(517)]
    [InlineData(int.MaxValue)]
    public void Decode_IdOutsideVocabulary_Throws(int id)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Decode([1, id]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Decode([id]));
    }

    [Fact]
    public void Properties_TinyModel_MatchManifest()
    {
        Assert.Equal(512, Tok.BaseVocabSize);
        Assert.Equal(517, Tok.VocabSize);
        Assert.Equal(1, Tok.BosId);
        Assert.Equal(2, Tok.EosId);
        Assert.Equal(515, Tok.GetAddedTokenId("<bbox>"));
        Assert.Equal("<im_patch>", Tok.GetPiece(512));
        Assert.Equal("\u2581the", Tok.GetPiece(306));
        Assert.Throws<KeyNotFoundException>(() => Tok.GetAddedTokenId("<image>"));
    }

    [Fact]
    public void Constructor_AddedTokenInsideBaseVocabulary_Throws()
    {
        using var stream = File.OpenRead(Path.Combine(TextTestData.TinyModelDir, "tokenizer.model"));
        var ex = Assert.Throws<ArgumentException>(() => new RoiTokenizer(stream, new Dictionary<string, int> { ["<bbox>"] = 100 }, 1, 2));
        Assert.Contains("<bbox>", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_DuplicateAddedTokenIds_Throws()
    {
        using var stream = File.OpenRead(Path.Combine(TextTestData.TinyModelDir, "tokenizer.model"));
        Assert.Throws<ArgumentException>(() => new RoiTokenizer(stream, new Dictionary<string, int> { ["<a>"] = 600, ["<b>"] = 600 }, 1, 2));
    }

    [Fact]
    public void Constructor_NotAModel_ThrowsInvalidData()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes("{ \"not\": \"a model\" }"));
        Assert.ThrowsAny<InvalidDataException>(() => new RoiTokenizer(stream, new Dictionary<string, int>(), 1, 2));
    }

    [Fact]
    public void Encode_ParallelCalls_GiveIdenticalIds()
    {
        var texts = PythonCases.Select(c => c.GetProperty("text").GetString()!)
            .Concat(SentencepieceEncode.Select(c => c.GetProperty("text").GetString()!))
            .ToArray();
        var expected = texts.Select(t => Tok.Encode(t)).ToArray();
        var expectedText = expected.Select(ids => Tok.Decode(ids)).ToArray();
        var failures = 0;
        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var k = i % texts.Length;
            var ids = Tok.Encode(texts[k]);
            if (!ids.AsSpan().SequenceEqual(expected[k]) || Tok.Decode(ids) != expectedText[k])
            {
                Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }
}
