using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions.Tests.Vocabulary;

public class DraftTokenBridgeTests
{
    private static readonly FakeVocabulary Target = new("<s>", "</s>", "<eot>", "a", "b", "c", "bc", "<0xC3>", "<0xA9>", " ");
    private static readonly FakeVocabulary Draft = new("c", "<eot>", "b", "a", "abc", "<s>", "é", "<0xC3>", " ", "</s>");

    [Fact]
    public void Sync_MappedTokens_AreCarriedOverWithoutTokenizing()
    {
        var (bridge, draft) = Create(Target, Draft);

        var tokens = bridge.Sync(Ids(Target, "<s>", "a", "b", "c"), 4);

        Assert.Equal(Ids(Draft, "<s>", "a", "b", "c"), tokens);
        Assert.Empty(draft.Calls);
        Assert.Equal(4, bridge.SyncedCount);
    }

    [Fact]
    public void Sync_UnmappedToken_IsRetokenisedWithTheLookBehindWindow()
    {
        var (bridge, draft) = Create(Target, Draft);
        int[] committed = Ids(Target, "<s>", "a", "bc", " ", "a");

        Assert.Equal(Ids(Draft, "<s>", "a"), bridge.Sync(committed, 2));
        var tokens = bridge.Sync(committed, 5);

        // "a" + "bc" read as the draft writes it: one token "abc".
        Assert.Equal(Ids(Draft, "<s>", "abc", " ", "a"), tokens);
        Assert.Equal(["abc a"], draft.Calls);
    }

    [Fact]
    public void Sync_PartialCharacter_TravelsAsBytesUntilItCompletes()
    {
        var (bridge, _) = Create(Target, Draft);
        int[] committed = Ids(Target, "<s>", "a", "<0xC3>", "<0xA9>");

        Assert.Equal(Ids(Draft, "<s>", "a", "<0xC3>"), bridge.Sync(committed, 3));
        Assert.Equal(Ids(Draft, "<s>", "a", "é"), bridge.Sync(committed, 4));
    }

    [Fact]
    public void Sync_ControlToken_MapsByText_AndTextIsNeverRetokenisedAcrossIt()
    {
        var (bridge, draft) = Create(Target, Draft);
        int[] committed = Ids(Target, "<s>", "a", "<eot>", "bc");

        var tokens = bridge.Sync(committed, 4);

        Assert.Equal(Ids(Draft, "<s>", "a", "<eot>", "b", "c"), tokens);
        Assert.Equal(["bc"], draft.Calls);
    }

    [Fact]
    public void Sync_BeginOfSequence_FollowsTheDraftsConvention()
    {
        var withoutBos = new FakeVocabulary("a", "b", "c", "</s>");
        var (dropped, _) = Create(Target, withoutBos);
        Assert.Equal(Ids(withoutBos, "a", "b"), dropped.Sync(Ids(Target, "<s>", "a", "b"), 3));

        var targetWithoutBos = new FakeVocabulary("a", "b", "c", "</s>");
        var (added, _) = Create(targetWithoutBos, Draft);
        Assert.Equal(Ids(Draft, "<s>", "a", "b"), added.Sync(Ids(targetWithoutBos, "a", "b"), 2));
    }

    [Fact]
    public void Sync_TextDrafting_FeedsTheDraftItsOwnTokenisation()
    {
        var (bridge, draft) = Create(Target, Draft, VocabularyMapping.Text);
        int[] committed = Ids(Target, "<s>", "a", "b", "c", " ");

        Assert.Equal(Ids(Draft, "<s>", "abc"), bridge.Sync(committed, 4));
        Assert.Equal(Ids(Draft, "<s>", "abc", " "), bridge.Sync(committed, 5));
        Assert.Equal(["abc", "abc "], draft.Calls);
    }

    internal static int[] Ids(FakeVocabulary vocabulary, params string[] texts) => texts.Select(vocabulary.Id).ToArray();

    private static (DraftTokenBridge Bridge, FakeVocabulary Draft) Create(FakeVocabulary target, FakeVocabulary draftTexts, VocabularyMapping mapping = VocabularyMapping.Intersection)
    {
        var draft = new FakeVocabulary(Enumerable.Range(0, draftTexts.Count).Select(i => draftTexts.Text([i])).ToArray());
        Assert.True(VocabularyBridge.TryCreate(target.Vocabulary, draft.Vocabulary, target, draft, mapping, out var bridge, out string? failure), failure);
        return (bridge.CreateTokenBridge(), draft);
    }
}
