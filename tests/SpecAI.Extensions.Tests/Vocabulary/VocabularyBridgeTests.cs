using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions.Tests.Vocabulary;

public class VocabularyBridgeTests
{
    private static readonly string[] Words = ["<s>", "</s>", "a", "b", "c", "d", "e", "f", "ab", "cd", "ef", "abc"];

    [Fact]
    public void TryCreate_IdenticalVocabularies_AreIdenticalUnderEveryMappingButText()
    {
        var target = new FakeVocabulary(Words);
        var draft = new FakeVocabulary(Words);
        foreach (var mapping in new[] { VocabularyMapping.Auto, VocabularyMapping.Exact, VocabularyMapping.Intersection })
        {
            var bridge = Create(target, draft, mapping);
            Assert.Equal(VocabularyCompatibilityKind.Identical, bridge.Compatibility.Kind);
            Assert.False(bridge.IsMapped);
            Assert.Null(bridge.Map);
        }

        Assert.Equal(VocabularyCompatibilityKind.Text, Create(target, draft, VocabularyMapping.Text).Compatibility.Kind);
    }

    [Fact]
    public void TryCreate_PaddedTarget_IsPadded_AndExactNamesTheSizes()
    {
        var target = new FakeVocabulary([.. Words, "[PAD]", "[PAD]"]);
        var draft = new FakeVocabulary(Words);

        var bridge = Create(target, draft, VocabularyMapping.Auto);

        Assert.Equal(VocabularyCompatibilityKind.Padded, bridge.Compatibility.Kind);
        Assert.Equal(14, bridge.Compatibility.TargetVocabularySize);
        Assert.Equal(12, bridge.Compatibility.DraftVocabularySize);
        Assert.Equal(12, bridge.Compatibility.SharedTokenCount);
        Assert.True(bridge.Map!.KeepsIds);
        Assert.False(VocabularyBridge.TryCreate(target.Vocabulary, draft.Vocabulary, target, draft, VocabularyMapping.Exact, out _, out string? failure));
        Assert.Equal("vocabulary sizes differ (14 vs 12)", failure);
    }

    [Fact]
    public void TryCreate_SameSizeDifferentToken_ExactNamesTheFirstDifference()
    {
        var draft = new FakeVocabulary(Words.Select(w => w == "cd" ? "dc" : w).ToArray());

        Assert.False(VocabularyBridge.TryCreate(new FakeVocabulary(Words).Vocabulary, draft.Vocabulary, null, null, VocabularyMapping.Exact, out _, out string? failure));
        Assert.Equal("token 9 is 'cd' in the target but 'dc' in the draft", failure);
    }

    [Fact]
    public void TryCreate_ShuffledIds_IsIntersectionOfEverything()
    {
        var target = new FakeVocabulary(Words);
        var draft = new FakeVocabulary(Words.Reverse().ToArray());

        var bridge = Create(target, draft, VocabularyMapping.Auto);

        Assert.Equal(VocabularyCompatibilityKind.Intersection, bridge.Compatibility.Kind);
        Assert.Equal(Words.Length, bridge.Compatibility.SharedTokenCount);
        Assert.Contains("the draft has 10 of the target's 10 text tokens (100.0%; 10 of its own)", bridge.Compatibility.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryCreate_DraftLacksMostTargetTokens_AutoPicksText_IntersectionStillAllowed()
    {
        var target = new FakeVocabulary(Words);
        var draft = new FakeVocabulary("<s>", "a", "x", "y", "z", "xy");

        Assert.Equal(VocabularyCompatibilityKind.Text, Create(target, draft, VocabularyMapping.Auto).Compatibility.Kind);
        Assert.Equal(VocabularyCompatibilityKind.Intersection, Create(target, draft, VocabularyMapping.Intersection).Compatibility.Kind);
    }

    [Fact]
    public void TryCreate_DraftHoldsMostTargetTokensAmongManyOthers_AutoPicksIntersection()
    {
        var target = new FakeVocabulary("<s>", "a", "b", "c");
        var draft = new FakeVocabulary([.. Enumerable.Range(0, 200).Select(i => $"w{i}"), "<s>", "a", "b", "c"]);

        Assert.Equal(VocabularyCompatibilityKind.Intersection, Create(target, draft, VocabularyMapping.Auto).Compatibility.Kind);
    }

    [Fact]
    public void TryCreate_NoSharedText_IntersectionFails_AutoUsesText()
    {
        var target = new FakeVocabulary(Words);
        var draft = new FakeVocabulary("<s>", "x", "y");

        Assert.False(VocabularyBridge.TryCreate(target.Vocabulary, draft.Vocabulary, target, draft, VocabularyMapping.Intersection, out _, out string? failure));
        Assert.Contains("no token text is shared", failure, StringComparison.Ordinal);
        Assert.Equal(VocabularyCompatibilityKind.Text, Create(target, draft, VocabularyMapping.Auto).Compatibility.Kind);
    }

    [Fact]
    public void TryCreate_NoTextAtAll_Fails()
    {
        var target = new FakeVocabulary(Words);
        var draft = new FakeVocabulary("<s>", "[PAD]");

        Assert.False(VocabularyBridge.TryCreate(target.Vocabulary, draft.Vocabulary, target, draft, VocabularyMapping.Auto, out _, out string? failure));
        Assert.Contains("neither tokens nor text", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void TryCreate_MappedKindWithoutTheDraftTokenizer_Fails()
    {
        var target = new FakeVocabulary(Words);
        var draft = new FakeVocabulary(Words.Reverse().ToArray());

        Assert.False(VocabularyBridge.TryCreate(target.Vocabulary, draft.Vocabulary, target, null, VocabularyMapping.Auto, out _, out string? failure));
        Assert.Contains("draft's tokenizer", failure, StringComparison.Ordinal);
    }

    private static VocabularyBridge Create(FakeVocabulary target, FakeVocabulary draft, VocabularyMapping mapping)
    {
        Assert.True(VocabularyBridge.TryCreate(target.Vocabulary, draft.Vocabulary, target, draft, mapping, out var bridge, out string? failure), failure);
        return bridge;
    }
}
