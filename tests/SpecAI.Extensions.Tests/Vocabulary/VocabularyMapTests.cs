using System.Text;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions.Tests.Vocabulary;

public class VocabularyMapTests
{
    [Fact]
    public void Create_MapsTextByBytes_ControlByRole_NeverUnused()
    {
        var target = new FakeVocabulary("<s>", "</s>", "a", "b", "ab", "[PAD]");
        var draft = new FakeVocabulary("b", "x", "</s>", "a", "[PAD]", "<s>");
        var map = VocabularyMap.Create(target.Vocabulary, draft.Vocabulary);

        Assert.Equal(draft.Id("<s>"), map.ToDraft(target.Id("<s>")));
        Assert.Equal(draft.Id("</s>"), map.ToDraft(target.Id("</s>")));
        Assert.Equal(draft.Id("a"), map.ToDraft(target.Id("a")));
        Assert.Equal(draft.Id("b"), map.ToDraft(target.Id("b")));
        Assert.Equal(-1, map.ToDraft(target.Id("ab")));
        Assert.Equal(-1, map.ToDraft(5));
        Assert.Equal(-1, map.ToTarget(draft.Id("x")));
        Assert.Equal(-1, map.ToTarget(4));
        Assert.Equal(target.Id("a"), map.ToTarget(draft.Id("a")));
        Assert.Equal(4, map.SharedCount);
        Assert.Equal(2, map.SharedTextCount);
        Assert.Equal(3, map.TargetTextCount);
        Assert.Equal(3, map.DraftTextCount);
        Assert.False(map.KeepsIds);
    }

    [Fact]
    public void Create_ControlTokenWithTheTextOfAWord_IsNotMappedToTheWord()
    {
        var target = new FakeVocabulary("<s>", "<eot>", "a");
        var draft = new FakeVocabulary("<eot>", "a", "<s>");
        var text = new TokenVocabulary("fake", [Encoding.UTF8.GetBytes("<eot>"), "a"u8.ToArray()], [TokenKind.Normal, TokenKind.Normal], -1, -1, false, false);

        Assert.Equal(0, VocabularyMap.Create(target.Vocabulary, draft.Vocabulary).ToDraft(1));
        Assert.Equal(-1, VocabularyMap.Create(target.Vocabulary, text).ToDraft(1));
    }

    [Fact]
    public void Create_ByteTokenMatchesASingleByteTextToken_OnlyWhenNoSameKindMatchExists()
    {
        // SentencePiece holds <0x41> and "A"; a byte-level vocabulary holds only "A" (for both).
        var target = new FakeVocabulary("<s>", "<0x41>", "A", "<0xC3>");
        var draft = new FakeVocabulary("<s>", "A", "Z", "<0x5A>");
        var byteLevel = new TokenVocabulary("bpe", [[], "A"u8.ToArray(), [0xC3]], [TokenKind.Control, TokenKind.Normal, TokenKind.Normal], -1, -1, false, false);
        var map = VocabularyMap.Create(target.Vocabulary, byteLevel);

        Assert.Equal(1, map.ToDraft(target.Id("A")));
        Assert.Equal(-1, map.ToDraft(target.Id("<0x41>")));
        Assert.Equal(2, map.ToDraft(target.Id("<0xC3>")));
        Assert.Equal(-1, VocabularyMap.Create(target.Vocabulary, draft.Vocabulary).ToDraft(target.Id("<0xC3>")));
    }

    [Fact]
    public void ProjectLogits_SharedTokensKeepTheirLogits_OthersExcluded()
    {
        var target = new FakeVocabulary("<s>", "a", "b", "ab");
        var draft = new FakeVocabulary("b", "x", "<s>", "a");
        var map = VocabularyMap.Create(target.Vocabulary, draft.Vocabulary);
        var projected = new float[4];

        map.ProjectLogits([1f, 2f, 3f, 4f], projected);

        Assert.Equal([3f, 4f, 1f, VocabularyMap.ExcludedLogit], projected);
        Assert.Throws<ArgumentException>("destination", () => map.ProjectLogits([1f, 2f], projected));
    }

    [Theory]
    [InlineData(6, 4)]
    [InlineData(4, 6)]
    [InlineData(5, 5)]
    public void ProjectLogits_PaddedPair_CopyEqualsTheGeneralRule(int targetSize, int draftSize)
    {
        string[] texts = ["<s>", "a", "b", "c", "d", "e"];
        var target = new FakeVocabulary(texts[..targetSize].Select((t, i) => i == 2 ? "[PAD]" : t).ToArray());
        var draft = new FakeVocabulary(texts[..draftSize]);
        var map = VocabularyMap.Create(target.Vocabulary, draft.Vocabulary);
        float[] logits = Enumerable.Range(0, draftSize).Select(i => (float)(i + 1)).ToArray();
        var projected = new float[targetSize];

        map.ProjectLogits(logits, projected);

        Assert.True(map.KeepsIds);
        for (int t = 0; t < targetSize; t++)
        {
            Assert.Equal(map.ToDraft(t) >= 0 ? logits[map.ToDraft(t)] : VocabularyMap.ExcludedLogit, projected[t]);
        }
    }

    [Fact]
    public void ExcludedLogit_HasExactlyZeroProbabilityAfterTheSoftmax()
    {
        var p = new double[3];
        new SpecAI.Extensions.Sampling.LogitProcessor(new SpecAI.Extensions.Sampling.SamplingOptions { Temperature = 0.3 }).Process([VocabularyMap.ExcludedLogit, -20f, 5f], ReadOnlySpan<int>.Empty, 0, p);

        Assert.Equal(0.0, p[0]);
        Assert.Equal(1.0, p[1] + p[2], 15);
    }
}
