using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.Engine;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Drafting;

public class PromptLookupDraftSourceTests
{
    [Fact]
    public void FindContinuation_RepeatedTrigram_FollowsMostRecentEarlierMatch()
    {
        int[] tokens = [1, 2, 3, 9, 9, 1, 2, 3, 7, 5, 1, 2, 3];
        int length = PromptLookupDraftSource.FindContinuation(tokens, 3, 1, 2, out int start);
        Assert.Equal(2, length);
        Assert.Equal(8, start);
        Assert.Equal([7, 5], tokens[start..(start + length)]);
    }

    [Fact]
    public void FindContinuation_NoLongMatch_FallsBackToShorterNgram()
    {
        int[] tokens = [5, 6, 7, 4, 6];
        int length = PromptLookupDraftSource.FindContinuation(tokens, 3, 1, 8, out int start);
        Assert.Equal(2, start);
        Assert.Equal(3, length);
    }

    [Fact]
    public void FindContinuation_BelowMinimumNgram_FindsNothing()
    {
        Assert.Equal(0, PromptLookupDraftSource.FindContinuation([5, 6, 7, 4, 6], 3, 2, 8, out int start));
        Assert.Equal(-1, start);
        Assert.Equal(0, PromptLookupDraftSource.FindContinuation([1, 2, 3], 3, 1, 8, out _));
        Assert.Equal(0, PromptLookupDraftSource.FindContinuation([1, 1], 3, 1, 0, out _));
    }

    [Fact]
    public void Constructor_BadNgramRange_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>("minNgram", () => new PromptLookupDraftSource(3, 0));
        Assert.Throws<ArgumentOutOfRangeException>("maxNgram", () => new PromptLookupDraftSource(1, 2));
        Assert.Throws<ArgumentOutOfRangeException>("PromptLookupMinNgram", () => new GenerationSettings { PromptLookupMinNgram = 0 }.Validate());
    }

    [Fact]
    public void Draft_Match_ExtendsOneDeterministicBranch()
    {
        var tree = new DraftTree();
        tree.Reset(2, 1, 8);
        var request = new DraftRequest([1, 2, 3, 4, 1, 2], 0, DraftScheme.Independent, new LogitProcessor(new SamplingOptions()), new SeededRandomSource(1), new SpeculationStatistics());
        new PromptLookupDraftSource().Draft(request, tree, 3);
        Assert.Equal([3, 4, 1], tree.PathOf(0).Select(i => tree.Nodes[i].Token));
        Assert.All(tree.Nodes, node => Assert.Null(tree.ChildDistributionOf(tree.Nodes.ToList().IndexOf(node))));
    }

    public static TheoryData<VerifierKind, bool> EngineCases => new()
    {
        { VerifierKind.Standard, false },
        { VerifierKind.KSeq, false },
        { VerifierKind.RecursiveRejectionWithoutReplacement, false },
        { VerifierKind.Standard, true },
        { VerifierKind.GreedyDraft, true },
    };

    [Theory]
    [MemberData(nameof(EngineCases))]
    public void ExactEnumeration_PromptLookup_SequenceLawEqualsTarget(VerifierKind kind, bool combined)
    {
        var kit = new EngineTestKit(3, draftNoise: 1.5);
        var settings = new GenerationSettings
        {
            Sampling = new SamplingOptions { Temperature = 1.0 },
            MaxTokens = 3,
            DraftLength = combined ? 3 : 2,
            Mode = SpeculationMode.PromptLookup,
            CombineLookupWithDraftModel = combined,
            Verifier = kind,
        };

        // Lookup alone runs without a draft model. Combined: the lookup finds one token, the model drafts below it.
        var engine = combined ? kit.Engine : new SpeculativeEngine(kit.Target);
        int[] prompt = combined ? [2, 0, 1, 1] : [0, 1, 2, 0, 1];
        var expected = kit.ExactLaw(prompt, settings.MaxTokens, settings.Sampling);
        var actual = new Dictionary<string, double>();
        var statistics = new SpeculationStatistics();
        foreach (var (sequence, probability) in EnumeratingRandomSource.Enumerate(random =>
                     engine.Generate(prompt, settings with { RandomSource = random }, statistics).ToArray()))
        {
            string key = EngineTestKit.Key(sequence);
            actual[key] = actual.GetValueOrDefault(key) + probability;
        }

        MultiDraftEngineExactnessTests.AssertSameLaw(expected, actual);
        Assert.True(statistics.AcceptedTokens > 0, statistics.ToString());
        if (combined)
        {
            Assert.True(kit.Draft.DecodeCalls > 0);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Greedy_PromptLookup_EqualsPlainDecodingWithFewerTargetCalls(bool combined)
    {
        var kit = new EngineTestKit(6, draftNoise: 0.5);
        int[] prompt = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2];
        var plain = new EngineTestKit(6).Generate(prompt, new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 40, Mode = SpeculationMode.None });
        var statistics = new SpeculationStatistics();
        var engine = combined ? kit.Engine : new SpeculativeEngine(kit.Target);
        var result = engine.Generate(prompt, new GenerationSettings
        {
            Sampling = SamplingOptions.Greedy,
            MaxTokens = 40,
            DraftLength = 6,
            Mode = SpeculationMode.PromptLookup,
            CombineLookupWithDraftModel = combined,
        }, statistics).ToArray();
        Assert.Equal(plain, result);
        Assert.True(statistics.TargetCalls < 40, statistics.ToString());
    }
}
