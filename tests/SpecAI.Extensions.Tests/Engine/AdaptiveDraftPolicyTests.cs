using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Engine;

public class AdaptiveDraftPolicyTests
{
    // Fresh policy: the first observation of each estimate is taken as is, so the script is exact.
    private static AdaptiveDraftPolicy WithAcceptance(Func<int, double> targetMilliseconds, double draftMilliseconds, Func<int, double> acceptance, int count = 1)
    {
        var policy = new AdaptiveDraftPolicy(warmupSteps: 0);
        for (int b = 1; b <= 40; b++)
        {
            policy.RecordTargetDecode(b, TimeSpan.FromMilliseconds(targetMilliseconds(b)));
        }

        policy.RecordDraft(1, count, TimeSpan.FromMilliseconds(draftMilliseconds));
        for (int d = 1; d <= AdaptiveDraftPolicy.MaxDepth; d++)
        {
            policy.RecordDepth(d, count, acceptance(d));
        }

        return policy;
    }

    private static double Gpu(int batch) => 10 + 0.5 * batch;

    private static double Cpu(int batch) => 10 * (1 + 0.35 * (batch - 1));

    [Fact]
    public void Choose_DraftAlwaysRight_DraftsAtFullLength()
    {
        var policy = WithAcceptance(Gpu, 1, _ => 1.0);
        var plan = policy.Choose(8, 1);
        Assert.Equal(new DraftPlan(8, 1, false), plan);
    }

    [Fact]
    public void Choose_CpuCostsHighAcceptance_PicksTheBestShortDraft()
    {
        // rate(L) = E(L) / (3 L + t(1 + L)); plain 1 / 10 ms. a = 0.8: L = 1 gives 1.8 / 16.5 ms, the best.
        var policy = WithAcceptance(Cpu, 3, _ => 0.8);
        var plan = policy.Choose(8, 1);
        Assert.Equal(1, plan.Length);
        for (int length = 1; length <= 8; length++)
        {
            Assert.True(policy.TokensPerSecond(plan.Length, 1) >= policy.TokensPerSecond(length, 1));
        }

        Assert.True(policy.TokensPerSecond(1, 1) > policy.TokensPerSecond(0, 1));
    }

    [Fact]
    public void Choose_CpuCostsModerateAcceptance_SwitchesSpeculationOffAndProbes()
    {
        // a = 0.6: L = 1 gives 1.6 / 16.5 ms < 1 / 10 ms: plain decoding is faster.
        var policy = WithAcceptance(Cpu, 3, _ => 0.6);
        for (int step = 1; step <= 40; step++)
        {
            var plan = policy.Choose(8, 1);
            bool probe = step % policy.ProbeInterval == 0;
            Assert.Equal(probe ? new DraftPlan(8, 1, true) : new DraftPlan(0, 1, false), plan);
        }
    }

    [Fact]
    public void Choose_AcceptanceRecovers_TurnsSpeculationBackOn()
    {
        var policy = new AdaptiveDraftPolicy(warmupSteps: 0);
        for (int b = 1; b <= 40; b++)
        {
            policy.RecordTargetDecode(b, TimeSpan.FromMilliseconds(Gpu(b)));
        }

        policy.RecordDraft(1, 1, TimeSpan.FromMilliseconds(1));
        policy.RecordDepth(1, 1, false);
        Assert.Equal(0, policy.Choose(8, 1).Length);

        // From now on the draft is always right; only probes can show it.
        int step = 0;
        DraftPlan plan;
        do
        {
            plan = policy.Choose(8, 1);
            for (int d = 1; d <= plan.Length; d++)
            {
                policy.RecordDepth(d, 1, true);
            }

            step++;
        }
        while ((plan.Length == 0 || plan.IsProbe) && step < 200);

        Assert.True(plan.Length > 0 && !plan.IsProbe, $"still off after {step} steps");
        Assert.True(step <= 32, $"took {step} steps");
    }

    [Fact]
    public void Choose_GpuCostsHalfAcceptance_UsesSeveralDrafts()
    {
        // Per-draft acceptance 0.5 measured with k = 1; k drafts are estimated at 1 - 0.5^k per depth.
        var policy = WithAcceptance(Gpu, 1, _ => 0.5);
        var plan = policy.Choose(6, 4);
        Assert.True(plan.Count > 1, plan.ToString());
        Assert.Equal(1 - Math.Pow(0.5, 3), policy.Acceptance(1, 3), 12);
    }

    [Fact]
    public void TargetCost_TwoMeasuredSizes_InterpolatesAndExtrapolates()
    {
        var policy = new AdaptiveDraftPolicy();
        Assert.True(double.IsNaN(policy.TargetCost(1)));
        policy.RecordTargetDecode(5, TimeSpan.FromMilliseconds(24));
        // One size measured: the CPU shape 1 + 0.35 (b - 1) from DESIGN.md.
        Assert.Equal(0.024 * 3.8 / 2.4, policy.TargetCost(9), 12);
        policy.RecordTargetDecode(9, TimeSpan.FromMilliseconds(38));
        Assert.Equal(0.031, policy.TargetCost(7), 12);
        Assert.Equal(0.010, policy.TargetCost(1), 12);
        Assert.Equal(0.045, policy.TargetCost(11), 12);
    }

    [Fact]
    public void Constructor_BadArguments_ThrowArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>("probeInterval", () => new AdaptiveDraftPolicy(probeInterval: 0));
        Assert.Throws<ArgumentOutOfRangeException>("smoothing", () => new AdaptiveDraftPolicy(smoothing: 0));
        Assert.Throws<ArgumentOutOfRangeException>("warmupSteps", () => new AdaptiveDraftPolicy(warmupSteps: -1));
        Assert.Throws<ArgumentOutOfRangeException>("maxCount", () => new AdaptiveDraftPolicy().Choose(4, 0));
    }

    [Fact]
    public void Engine_DraftAlwaysWrong_SwitchesSpeculationOff()
    {
        var (engine, target, _) = Build(draftAgrees: false);
        var statistics = new SpeculationStatistics();
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 100, DraftLength = 6, Adaptive = true };
        var tokens = engine.Generate([1, 2, 3], settings, statistics).ToArray();

        var plain = new EngineTestKit(16).Generate([1, 2, 3], settings with { Mode = SpeculationMode.None, Adaptive = false });
        Assert.Equal(plain, tokens);
        Assert.True(statistics.StepsWithSpeculationOff >= 80, statistics.StepsWithSpeculationOff.ToString());
        Assert.Equal(0.0, statistics.DepthAcceptance()[1]);
        Assert.True(statistics.TargetCalls <= 100, statistics.ToString());
    }

    [Fact]
    public void Engine_DraftAlwaysRight_DraftsLong()
    {
        var (engine, _, _) = Build(draftAgrees: true);
        var statistics = new SpeculationStatistics();
        var tokens = engine.Generate([1, 2, 3], new GenerationSettings { Sampling = SamplingOptions.Greedy, MaxTokens = 100, DraftLength = 8, Adaptive = true }, statistics).ToArray();
        Assert.Equal(100, tokens.Length);
        Assert.Equal(8, engine.AdaptivePolicy.Current.Length);
        Assert.Equal(0, statistics.StepsWithSpeculationOff);
        Assert.Equal(1.0, statistics.DepthAcceptance()[8]);
        Assert.True(statistics.TokensPerTargetCall > 7, statistics.ToString());
    }

    // GPU-like scripted costs: target 10 ms + 0.5 ms per token, draft 1 ms per decode.
    private static (SpeculativeEngine Engine, FakeModelSession Target, FakeModelSession Draft) Build(bool draftAgrees)
    {
        var clock = new ManualTimeProvider();
        var targetLogits = FakeLanguage.Create(16, 1);
        Func<IReadOnlyList<int>, float[]> draftLogits = draftAgrees ? targetLogits : history => targetLogits(history).Select(x => -x).ToArray();
        var target = new FakeModelSession("target", 16, targetLogits, onDecode: b => clock.Advance(TimeSpan.FromMilliseconds(10 + 0.5 * b.Count)));
        var draft = new FakeModelSession("draft", 16, draftLogits, onDecode: _ => clock.Advance(TimeSpan.FromMilliseconds(1)));
        return (new SpeculativeEngine(target, new Extensions.Drafting.ModelDraftSource(draft), clock), target, draft);
    }
}
