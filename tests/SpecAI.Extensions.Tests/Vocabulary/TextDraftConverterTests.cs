using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Vocabulary;
using static SpecAI.Extensions.Tests.Vocabulary.DraftTokenBridgeTests;

namespace SpecAI.Extensions.Tests.Vocabulary;

public class TextDraftConverterTests
{
    private static readonly FakeVocabulary Target = new("<s>", "</s>", "a", "b", "c", "ab", "bc", "<0xC3>", "<0xA9>");
    private static readonly FakeVocabulary Draft = new("<s>", "</s>", "a", "b", "c", "ca", "<0xC3>", "<0xA9>");

    [Fact]
    public void Convert_TextAlignedWithTheCommittedTail_BecomesTheTargetsTokens()
    {
        var converter = Create();
        var proposed = new List<int>();

        int count = converter.Convert(Ids(Target, "<s>", "ab"), Ids(Draft, "ca", "b"), 8, proposed);

        // "ab" + "cab" tokenises as ab|c|ab: the committed "ab", then the draft.
        Assert.Equal(2, count);
        Assert.Equal(Ids(Target, "c", "ab"), proposed);
    }

    [Fact]
    public void Convert_DraftFinishingATargetWord_IsTokenisedAlone()
    {
        var proposed = new List<int>();

        // "a" + "bc" would tokenise as ab|c, which does not start with the committed "a".
        Create().Convert(Ids(Target, "<s>", "a"), Ids(Draft, "b", "c"), 8, proposed);

        Assert.Equal(Ids(Target, "bc"), proposed);
    }

    [Fact]
    public void Convert_EndOfSequence_IsProposedAfterTheWholeText_AndCutsTheRest()
    {
        var proposed = new List<int>();
        Create().Convert(Ids(Target, "<s>"), Ids(Draft, "c", "</s>", "a"), 8, proposed);
        Assert.Equal(Ids(Target, "c", "</s>"), proposed);

        proposed.Clear();
        Create().Convert(Ids(Target, "<s>"), Ids(Draft, "c", "a", "</s>"), 1, proposed);
        Assert.Equal(Ids(Target, "c"), proposed);
    }

    [Fact]
    public void Convert_PartialCharacterAtTheEnd_IsDropped_AndCompletedAcrossTheBoundary()
    {
        var proposed = new List<int>();
        Create().Convert(Ids(Target, "<s>"), Ids(Draft, "a", "<0xC3>"), 8, proposed);
        Assert.Equal(Ids(Target, "a"), proposed);

        // The committed text ends inside "é": the draft's next byte completes it.
        proposed.Clear();
        Create().Convert(Ids(Target, "<s>", "a", "<0xC3>"), Ids(Draft, "<0xA9>", "c"), 8, proposed);
        Assert.Equal(Ids(Target, "<0xA9>", "c"), proposed);
    }

    private static TextDraftConverter Create()
    {
        Assert.True(VocabularyBridge.TryCreate(Target.Vocabulary, Draft.Vocabulary, Target, Draft, VocabularyMapping.Text, out var bridge, out string? failure), failure);
        return bridge.TextConverter!;
    }
}
