using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.Engine;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Drafting;

public class PredictionDraftSourceTests
{
    [Fact]
    public void FindContinuation_EmptyAnswer_DraftsThePredictionsStart()
    {
        int length = PredictionDraftSource.FindContinuation([4, 5, 6, 7], [], 0, 3, 1, 2, out int start);
        Assert.Equal(0, start);
        Assert.Equal(2, length);
    }

    [Fact]
    public void FindContinuation_AnswerFollowsPrediction_ContinuesAfterTheMatch()
    {
        int[] predicted = [4, 5, 6, 7, 8, 9];
        int length = PredictionDraftSource.FindContinuation(predicted, [4, 5, 6], 0, 3, 1, 8, out int start);
        Assert.Equal(3, start);
        Assert.Equal(3, length);
    }

    [Fact]
    public void FindContinuation_AnswerDeviatedAndCameBack_RealignsOnTheLastNgram()
    {
        // The answer replaced 5 by 1 and then went on like the prediction: the bigram (6, 7) realigns it.
        int[] predicted = [4, 5, 6, 7, 8, 9];
        int length = PredictionDraftSource.FindContinuation(predicted, [4, 1, 6, 7], 1, 3, 1, 8, out int start);
        Assert.Equal(4, start);
        Assert.Equal(2, length);
    }

    [Fact]
    public void FindContinuation_RepeatedNgram_PrefersTheOccurrenceAfterTheCursor()
    {
        int[] predicted = [1, 2, 7, 1, 2, 8, 1, 2, 9];
        Assert.Equal(1, PredictionDraftSource.FindContinuation(predicted, [3, 1, 2], 5, 2, 1, 1, out int start));
        Assert.Equal(5, start);

        // Nothing after the cursor: the nearest occurrence before it.
        Assert.Equal(1, PredictionDraftSource.FindContinuation(predicted, [3, 1, 2], 9, 2, 1, 1, out start));
        Assert.Equal(8, start);
    }

    [Fact]
    public void FindContinuation_NoMatchOrNothingAfterIt_FindsNothing()
    {
        Assert.Equal(0, PredictionDraftSource.FindContinuation([4, 5, 6], [9], 0, 3, 1, 4, out int start));
        Assert.Equal(-1, start);
        Assert.Equal(0, PredictionDraftSource.FindContinuation([4, 5, 6], [6], 0, 3, 1, 4, out _));
        Assert.Equal(0, PredictionDraftSource.FindContinuation([], [], 0, 3, 1, 4, out _));
        Assert.Equal(0, PredictionDraftSource.FindContinuation([4, 5], [], 0, 3, 1, 0, out _));
    }

    [Fact]
    public void Constructor_BadArguments_ThrowNamingThem()
    {
        Assert.Throws<ArgumentNullException>("predictedTokens", () => new PredictionDraftSource(null!));
        Assert.Throws<ArgumentOutOfRangeException>("minNgram", () => new PredictionDraftSource([1], 3, 0));
        Assert.Throws<ArgumentOutOfRangeException>("maxNgram", () => new PredictionDraftSource([1], 1, 2));
        Assert.Throws<ArgumentOutOfRangeException>("predictedTokens", () => new PredictionDraftSource([1, -2]));
    }

    [Fact]
    public void Draft_NoPredictionMatch_FallsBackToPromptLookupOnlyWhenAsked()
    {
        var request = new DraftRequest([1, 2, 3, 4, 1, 2], 1, DraftScheme.Independent, new LogitProcessor(new SamplingOptions()), new SeededRandomSource(1), new SpeculationStatistics());
        var tree = new DraftTree();
        tree.Reset(2, 1, 8);
        new PredictionDraftSource([7, 7], lookupInCommitted: false).Draft(request, tree, 3);
        Assert.Equal(0, tree.DraftedCount);

        tree.Reset(2, 1, 8);
        new PredictionDraftSource([7, 7], lookupInCommitted: true).Draft(request, tree, 3);
        Assert.Equal([3, 4, 1], tree.PathOf(0).Select(i => tree.Nodes[i].Token));
        Assert.Null(tree.ChildDistributionOf(0));
    }

    [Fact]
    public void Engine_PredictedTokenOutsideVocabulary_ThrowsArgumentOutOfRange()
    {
        var kit = new EngineTestKit(4);
        var settings = new GenerationSettings { Mode = SpeculationMode.None, MaxTokens = 2, PredictedTokens = [1, 4] };
        var error = Assert.Throws<ArgumentOutOfRangeException>("settings", () => kit.Generate([0, 1], settings));
        Assert.Contains("PredictedTokens", error.Message);
    }

    public static TheoryData<SpeculationMode, VerifierKind> EngineCases => new()
    {
        { SpeculationMode.None, VerifierKind.Standard },
        { SpeculationMode.None, VerifierKind.KSeq },
        { SpeculationMode.DraftModel, VerifierKind.Standard },
        { SpeculationMode.PromptLookup, VerifierKind.Standard },
    };

    [Theory]
    [MemberData(nameof(EngineCases))]
    public void ExactEnumeration_WithPrediction_SequenceLawEqualsTarget(SpeculationMode mode, VerifierKind kind)
    {
        var kit = new EngineTestKit(3, draftNoise: 1.5);
        var settings = new GenerationSettings
        {
            Sampling = new SamplingOptions { Temperature = 1.0 },
            MaxTokens = 3,
            DraftLength = 2,
            Mode = mode,
            Verifier = kind,
            PredictedTokens = [1, 2, 0],
            MeasureOptimalAcceptance = false,
        };

        var engine = mode == SpeculationMode.DraftModel ? kit.Engine : new SpeculativeEngine(kit.Target);
        int[] prompt = [2, 0];
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
    }

    [Theory]
    [InlineData(SpeculationMode.None)]
    [InlineData(SpeculationMode.DraftModel)]
    public void Greedy_ExactPrediction_EqualsPlainDecodingWithFewerTargetCalls(SpeculationMode mode)
    {
        var kit = new EngineTestKit(6, draftNoise: 3.0);
        int[] prompt = [1, 2, 3];
        var plain = new EngineTestKit(6).Generate(prompt, new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 30, Mode = SpeculationMode.None });

        // A prediction that is the answer with two tokens changed: still the same answer, and most of it accepted.
        int[] predicted = plain.ToArray();
        predicted[10] = (predicted[10] + 1) % 6;
        predicted[20] = (predicted[20] + 1) % 6;
        var statistics = new SpeculationStatistics();
        var engine = mode == SpeculationMode.DraftModel ? kit.Engine : new SpeculativeEngine(kit.Target);
        var result = engine.Generate(prompt, new GenerationSettings
        {
            Sampling = SamplingOptions.Greedy,
            MaxTokens = 30,
            DraftLength = 6,
            Mode = mode,
            PredictedTokens = predicted,
        }, statistics).ToArray();

        Assert.Equal(plain, result);
        Assert.True(statistics.TargetCalls <= 12, statistics.ToString());
        Assert.True(statistics.AcceptedTokens >= 20, statistics.ToString());
        Assert.True(statistics.DraftedTokens > statistics.AcceptedTokens, "the changed tokens are rejected");
    }
}
