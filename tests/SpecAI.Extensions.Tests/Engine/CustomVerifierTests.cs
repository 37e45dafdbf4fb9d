using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Testing;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Engine;

/// <summary>A verifier of the caller's own, plugged in through <see cref="GenerationSettings.CustomVerifier"/> (public API only).</summary>
public class CustomVerifierTests
{
    [Theory]
    [InlineData(SpeculationMode.DraftModel, 1)]
    [InlineData(SpeculationMode.MultiDraft, 3)]
    public void CustomVerifier_DecidesEveryCommittedToken(SpeculationMode mode, int draftCount)
    {
        var settings = new GenerationSettings { Seed = 7, MaxTokens = 30, Mode = mode, DraftLength = 3, DraftCount = draftCount, Verifier = VerifierKind.RecursiveRejection };
        var builtIn = new EngineTestKit(12).Generate([1, 2, 3], settings);

        // The same rule behind a wrapper of our own: the engine must hand it every node, and nothing else may commit.
        var custom = new CountingVerifier(RecursiveRejectionVerifier.Instance);
        var statistics = new SpeculationStatistics();
        var answer = new EngineTestKit(12).Generate([1, 2, 3], settings with { CustomVerifier = custom }, statistics);

        Assert.Equal(builtIn, answer);
        Assert.Equal(answer.Length, custom.Calls);
        Assert.True(custom.Steps > 0 && custom.Steps < answer.Length, $"{custom.Steps} steps for {answer.Length} tokens");
        Assert.True(statistics.AcceptedTokens > 0);
    }

    [Fact]
    public void LossyCustomVerifier_IsReportedLossy_AndItsRelaxationsCounted()
    {
        var kit = new EngineTestKit(12, draftNoise: 3.0);
        var rule = new AlwaysAcceptFirst();
        var settings = new GenerationSettings { Seed = 3, MaxTokens = 24, Mode = SpeculationMode.DraftModel, DraftLength = 4, CustomVerifier = rule };
        var statistics = new SpeculationStatistics();

        var answer = kit.Generate([5, 6], settings, statistics);

        Assert.False(settings.IsLossless);
        Assert.True(new GenerationSettings().IsLossless);
        Assert.Equal(24, answer.Length);

        // Every drafted token is kept (but past the token limit), each counted as a lossy acceptance.
        Assert.InRange(statistics.AcceptedTokens, Math.Max(1, statistics.DraftedTokens - 4), statistics.DraftedTokens);
        Assert.Equal(statistics.AcceptedTokens, statistics.JudgeAcceptedTokens);
        Assert.True(statistics.LossySteps > 0);
    }

    /// <summary>A lossy rule: keeps the first candidate, draws from the target when nothing was drafted.</summary>
    private sealed class AlwaysAcceptFirst : ISpeculativeVerifier
    {
        private int _kept;

        public VerifierKind Kind => VerifierKind.Standard;

        public bool IsLossless => false;

        public DraftScheme Scheme => DraftScheme.Independent;

        public int LossyAcceptancesInStep => _kept;

        public void BeginStep() => _kept = 0;

        public VerificationResult Verify(in VerificationNode node, IRandomSource random)
        {
            if (!node.Candidates.IsEmpty)
            {
                _kept++;
                return new VerificationResult(node.Candidates[0], 0);
            }

            return StandardVerifier.Instance.Verify(node, random);
        }
    }
}
