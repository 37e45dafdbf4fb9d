using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Judge;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.Engine;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Judge;

public class JudgeDecodingTests
{
    private const int Vocabulary = 4;

    /// <summary>Hidden state at a token: one-hot of the token id, so a head can learn per-token acceptability.</summary>
    private static float[] OneHotOfLast(IReadOnlyList<int> history)
    {
        var h = new float[Vocabulary];
        h[history[^1]] = 1;
        return h;
    }

    private static (SpeculativeEngine Engine, FakeModelSession Target) Create()
    {
        var targetLogits = FakeLanguage.Create(Vocabulary, 1);
        var target = new FakeModelSession("target", Vocabulary, targetLogits, hidden: OneHotOfLast);
        var draft = new FakeModelSession("draft", Vocabulary, FakeLanguage.Perturbed(targetLogits, 101, 2.0));
        return (new SpeculativeEngine(target, new ModelDraftSource(draft)), target);
    }

    [Fact]
    public void JudgeThatRejectsEverything_ExactEnumeration_EqualsTargetLaw()
    {
        var (engine, _) = Create();
        var never = new JudgeHead(new float[Vocabulary], bias: -50f);
        var kit = new EngineTestKit(Vocabulary);
        var expected = kit.ExactLaw([0, 1], 3, new SamplingOptions());
        var actual = new Dictionary<string, double>();
        foreach (var (sequence, probability) in EnumeratingRandomSource.Enumerate(random =>
                     engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.Judge, Judge = never, MaxTokens = 3, DraftLength = 2, RandomSource = random }, new SpeculationStatistics()).ToArray()))
        {
            string key = EngineTestKit.Key(sequence);
            actual[key] = actual.GetValueOrDefault(key) + probability;
        }

        foreach (var (key, p) in expected)
        {
            Assert.True(Math.Abs(p - actual.GetValueOrDefault(key)) < 1e-12, $"{key}: {p} vs {actual.GetValueOrDefault(key)}");
        }
    }

    [Fact]
    public void JudgeThatAcceptsEverything_KeepsEveryDraft_AndIsReportedLossy()
    {
        var (engine, _) = Create();
        var always = new JudgeHead(new float[Vocabulary], bias: 50f);
        var statistics = new SpeculationStatistics();
        engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.Judge, Judge = always, MaxTokens = 30, DraftLength = 4, Seed = 3 }, statistics).ToArray();
        Assert.Equal(statistics.DraftedTokens, statistics.AcceptedTokens);
        Assert.True(statistics.LossySteps > 0);
        Assert.False(new JudgeVerifier(0.5).IsLossless);
    }

    [Fact]
    public void JudgeWithoutHiddenStates_ThrowsClearError()
    {
        var kit = new EngineTestKit(Vocabulary);
        var ex = Assert.Throws<InvalidOperationException>(() => kit.Engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.Judge, Judge = new JudgeHead([1f, 1f, 1f, 1f], 0f) }, new SpeculationStatistics()));
        Assert.Contains("hidden states", ex.Message);
        Assert.Throws<InvalidOperationException>(() => kit.Engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.Judge }, new SpeculationStatistics()));
    }

    [Fact]
    public void ThresholdOne_NeverJudges_ReproducesStandardTokenForToken()
    {
        var (engine, _) = Create();
        var always = new JudgeHead(new float[Vocabulary], bias: 50f);
        for (int seed = 0; seed < 20; seed++)
        {
            var standardStatistics = new SpeculationStatistics();
            var judgeStatistics = new SpeculationStatistics();
            int[] standard = engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.DraftModel, MaxTokens = 24, DraftLength = 3, Seed = seed }, standardStatistics).ToArray();
            int[] judged = engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.Judge, Judge = always, JudgeThreshold = 1.0, MaxTokens = 24, DraftLength = 3, Seed = seed }, judgeStatistics).ToArray();
            Assert.Equal(standard, judged);
            Assert.Equal(standardStatistics.AcceptedTokens, judgeStatistics.AcceptedTokens);
            Assert.Equal(0, judgeStatistics.JudgeAcceptedTokens);
            Assert.Equal(0, judgeStatistics.LossySteps);
        }
    }

    [Fact]
    public void HeadThresholdOne_ExactEnumeration_EqualsTargetLaw()
    {
        var (engine, _) = Create();
        var always = new JudgeHead(new float[Vocabulary], bias: 50f, threshold: 1.0);
        var expected = new EngineTestKit(Vocabulary).ExactLaw([0, 1], 3, new SamplingOptions());
        var actual = new Dictionary<string, double>();
        foreach (var (sequence, probability) in EnumeratingRandomSource.Enumerate(random =>
                     engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.Judge, Judge = always, MaxTokens = 3, DraftLength = 2, RandomSource = random }, new SpeculationStatistics()).ToArray()))
        {
            string key = EngineTestKit.Key(sequence);
            actual[key] = actual.GetValueOrDefault(key) + probability;
        }

        foreach (var (key, p) in expected)
        {
            Assert.True(Math.Abs(p - actual.GetValueOrDefault(key)) < 1e-12, $"{key}: {p} vs {actual.GetValueOrDefault(key)}");
        }
    }

    [Fact]
    public void JudgeAcceptedTokens_CountOnlyTokensTheStandardRuleRejected()
    {
        var (engine, _) = Create();
        var always = new JudgeHead(new float[Vocabulary], bias: 50f);
        long judged = 0, standardRejections = 0;
        for (int seed = 0; seed < 10; seed++)
        {
            var standard = new SpeculationStatistics();
            var judge = new SpeculationStatistics();
            engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.DraftModel, MaxTokens = 30, DraftLength = 4, Seed = seed }, standard).ToArray();
            engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.Judge, Judge = always, MaxTokens = 30, DraftLength = 4, Seed = seed }, judge).ToArray();
            Assert.Equal(judge.DraftedTokens, judge.AcceptedTokens);
            Assert.True(judge.JudgeAcceptedTokens <= judge.AcceptedTokens);
            judged += judge.JudgeAcceptedTokens;
            standardRejections += standard.DraftedTokens - standard.AcceptedTokens;
        }

        Assert.True(judged > 0 && standardRejections > 0, $"judged {judged}, standard rejections {standardRejections}");
    }

    [Fact]
    public void MaxJudgedTokensPerStep_BoundsJudgedTokensInEachStep()
    {
        var (engine, _) = Create();
        var always = new JudgeHead(new float[Vocabulary], bias: 50f);
        long limited = 0, unlimited = 0;
        for (int seed = 0; seed < 10; seed++)
        {
            var one = new SpeculationStatistics();
            var all = new SpeculationStatistics();
            engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.Judge, Judge = always, MaxJudgedTokensPerStep = 1, MaxTokens = 40, DraftLength = 4, Seed = seed }, one).ToArray();
            engine.Generate([0, 1], new GenerationSettings { Mode = SpeculationMode.Judge, Judge = always, MaxTokens = 40, DraftLength = 4, Seed = seed }, all).ToArray();
            Assert.True(one.JudgeAcceptedTokens <= one.TargetCalls, $"{one.JudgeAcceptedTokens} judged tokens in {one.TargetCalls} steps");
            limited += one.JudgeAcceptedTokens;
            unlimited += all.JudgeAcceptedTokens;
        }

        Assert.True(unlimited > limited, $"unlimited {unlimited}, limited {limited}");
    }

    [Fact]
    public void Verifier_Bounds()
    {
        Assert.True(new JudgeVerifier(1.0).IsLossless);
        Assert.False(new JudgeVerifier(0.0).IsLossless);
        Assert.Throws<ArgumentOutOfRangeException>("threshold", () => new JudgeVerifier(1.01));
        Assert.Throws<ArgumentOutOfRangeException>("threshold", () => new JudgeVerifier(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>("maxJudgedTokensPerStep", () => new JudgeVerifier(0.5, 0));
        Assert.Throws<ArgumentOutOfRangeException>("JudgeThreshold", () => new GenerationSettings { JudgeThreshold = 1.5 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>("MaxJudgedTokensPerStep", () => new GenerationSettings { MaxJudgedTokensPerStep = 0 }.Validate());
    }

    [Fact]
    public void GreedyContinuationEquivalence_ComparesTheNextTokens()
    {
        // A "model" whose greedy continuation is the last token + 1, + 2, ...
        var model = new CountingContinuation();
        var check = new GreedyContinuationEquivalence(tokens: 2);
        Assert.True(check.IsEquivalent(new JudgeMismatch([1, 2], TargetToken: 5, DraftToken: 7, TargetContinuation: [8, 9, 10]), model));
        Assert.False(check.IsEquivalent(new JudgeMismatch([1, 2], TargetToken: 5, DraftToken: 7, TargetContinuation: [8, 4]), model));
        Assert.False(check.IsEquivalent(new JudgeMismatch([1, 2], TargetToken: 5, DraftToken: 7, TargetContinuation: []), model));
        Assert.True(check.IsEquivalent(new JudgeMismatch([1, 2], TargetToken: 5, DraftToken: 7, TargetContinuation: [8]), model));
        Assert.Equal([1, 2, 7], model.LastContext);
        Assert.Throws<ArgumentOutOfRangeException>("tokens", () => new GreedyContinuationEquivalence(0));
    }

    private sealed class CountingContinuation : ITargetContinuation
    {
        public IReadOnlyList<int> LastContext { get; private set; } = [];

        public IReadOnlyList<int> Continue(IReadOnlyList<int> context, int maxTokens)
        {
            LastContext = context.ToArray();
            return Enumerable.Range(context[^1] + 1, maxTokens).ToArray();
        }

        public string Detokenize(IReadOnlyList<int> tokens) => string.Join(",", tokens);
    }
}
