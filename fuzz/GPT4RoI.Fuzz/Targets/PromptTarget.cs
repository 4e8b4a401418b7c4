using System.Text;
using GPT4RoI.Core.Models;
using GPT4RoI.Core.Text;

namespace GPT4RoI.Fuzz.Targets;

/// <summary>
/// The prompt builder with hostile questions: the input is split at 0x00 into turns, each a box count (first byte)
/// and a question (the rest, UTF-8) mixing region tags and attempts at special tokens. Each accepted turn is built
/// into the prompt and tokenized; the ids must hold exactly the template's special tokens (one image start and end,
/// the patch tokens) and one <c>&lt;bbox&gt;</c> per first mention of a region, whatever the user typed. A refused
/// turn throws <see cref="PromptException"/>.
/// </summary>
internal sealed class PromptTarget : FuzzTarget
{
    private const int Patches = 256;

    private readonly PromptTemplate _template;
    private readonly RoiTokenizer _tokenizer;
    private readonly int _patchId;
    private readonly int _startId;
    private readonly int _endId;
    private readonly int _bboxId;
    private readonly int[] _otherAddedIds;

    public PromptTarget()
    {
        var manifest = ModelManifest.Load(Path.Combine(RepoLayout.TinyModel, "manifest.json"));
        _template = PromptTemplate.FromManifest(manifest);
        using (var stream = File.OpenRead(Path.Combine(RepoLayout.TinyModel, manifest.Tokenizer.File)))
        {
            _tokenizer = new RoiTokenizer(stream, manifest.Tokenizer.AddedTokens, manifest.Tokenizer.BosId, manifest.Tokenizer.EosId);
        }

        var added = manifest.Tokenizer.AddedTokens;
        _patchId = added[_template.ImagePatchToken];
        _startId = added[_template.ImageStartToken];
        _endId = added[_template.ImageEndToken];
        _bboxId = added[_template.RegionToken];
        _otherAddedIds = [.. added.Values.Where(id => id != _patchId && id != _startId && id != _endId && id != _bboxId)];
        Dictionary = Tokens(
            [.. added.Keys, "<region1>", "<region2>", "<region3>", "<region0>", "<region01>", "<region-1>", "<region 1>",
            "<REGION1>", "<region1", "region1>", "<region99999999999999999999>", "<region\u0661>", "<region\uFF11>",
            "<region\uD835\uDFCF>", "###", "### Human:", "### Assistant:", "Human:", "Assistant:", "<s>", "</s>", "<unk>",
            "<0x41>", "\u2581", "<image>", "<im_patch", "im_patch>", "<<im_patch>>", "\u200B", "\r\n", "\0"]);
    }

    public override string Name => "prompt";

    public override string Description => "prompt builder: Conversation.AddTurn with region tags and special-token attempts, BuildPrompt, tokenize";

    public override IReadOnlyList<byte[]> Dictionary { get; }

    public override int MaxInputBytes => 16 * 1024;

    public override void Run(ReadOnlySpan<byte> data)
    {
        var conversation = new Conversation(_template);
        var turns = 0;
        foreach (var range in data.Split((byte)0))
        {
            var part = data[range];
            if (part.IsEmpty)
            {
                continue;
            }

            var boxes = part[0] % 36;
            var question = Encoding.UTF8.GetString(part[1..]);
            string expanded;
            try
            {
                expanded = conversation.AddTurn(question, boxes);
            }
            catch (PromptException) when (turns > 0)
            {
                continue;
            }

            turns++;
            Check(conversation, expanded);
            conversation.SetAnswer("a red circle");
        }
    }

    public override bool IsExpected(Exception exception) => exception is PromptException;

    private void Check(Conversation conversation, string expanded)
    {
        var ids = _tokenizer.Encode(conversation.BuildPrompt(Patches));
        int patches = 0, starts = 0, ends = 0, bboxes = 0;
        foreach (var id in ids)
        {
            if (id == _patchId)
            {
                patches++;
            }
            else if (id == _startId)
            {
                starts++;
            }
            else if (id == _endId)
            {
                ends++;
            }
            else if (id == _bboxId)
            {
                bboxes++;
            }
            else if (Array.IndexOf(_otherAddedIds, id) >= 0)
            {
                throw new FuzzInvariantException($"the prompt holds the added token {_tokenizer.GetPiece(id)} (turn '{expanded}')");
            }
        }

        if (patches != Patches || starts != 1 || ends != 1 || bboxes != conversation.BboxRegions.Count)
        {
            throw new FuzzInvariantException(
                $"the prompt has {patches} patch, {starts} start, {ends} end and {bboxes} bbox tokens; expected {Patches}, 1, 1 and {conversation.BboxRegions.Count} (turn '{expanded}')");
        }
    }
}
