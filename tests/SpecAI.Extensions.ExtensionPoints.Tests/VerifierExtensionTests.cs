using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Testing;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.ExtensionPoints.Tests;

/// <summary><see cref="ISpeculativeVerifier"/> as an extension point: a rule of one's own, given as an instance in the settings.</summary>
public sealed class VerifierExtensionTests
{
    private const int Vocabulary = 12;
    private static readonly int[] Prompt = [1, 5, 7];

    [Fact]
    public void ACustomLosslessRule_DecidesEveryTokenAndSamplesTheTargetsLaw()
    {
        using var target = new ContextModelSession("target", Vocabulary, salt: 0, sharpness: 1.5);
        using var draft = new ContextModelSession("draft", Vocabulary, salt: 7, sharpness: 1.5);
        var engine = new SpeculativeEngine(target, draft);
        var rule = new SpeculativeSamplingRule();
        const int samples = 3000;
        var counts = new long[Vocabulary];
        var statistics = new SpeculationStatistics();
        for (int i = 0; i < samples; i++)
        {
            var settings = new GenerationSettings { Mode = SpeculationMode.DraftModel, DraftLength = 2, MaxTokens = 2, Seed = 9000 + i, CustomVerifier = rule };
            Assert.True(settings.IsLossless);
            counts[engine.Generate(Prompt, settings, statistics).ToArray()[1]]++;
        }

        // Every generated token is the rule's decision (each step: one call per node on the path, the last a bonus or a recovery).
        Assert.Equal(statistics.GeneratedTokens, rule.Calls);
        Assert.True(rule.Accepted > 0 && rule.Accepted < rule.Calls);
        var (_, _, pValue) = ChiSquare.Test(counts, target.LawAt(Prompt, 1));
        Assert.True(pValue > 1e-4, $"chi-square p = {pValue}");
    }

    [Fact]
    public void ALossyRule_IsReportedLossyAndItsDecisionsAreTheAnswer()
    {
        using var target = new ContextModelSession("target", Vocabulary, salt: 0);
        using var draft = new ContextModelSession("draft", Vocabulary, salt: 7);
        var engine = new SpeculativeEngine(target, draft);
        var settings = new GenerationSettings { Sampling = SamplingOptions.Greedy, Mode = SpeculationMode.DraftModel, DraftLength = 4, MaxTokens = 30, CustomVerifier = new AcceptEverythingRule() };
        var statistics = new SpeculationStatistics();

        var answer = engine.Generate(Prompt, settings, statistics).ToArray();

        Assert.False(settings.IsLossless);
        Assert.Equal(statistics.DraftedTokens, statistics.AcceptedTokens);

        // Accepting every draft makes the answer the draft model's greedy chain wherever a draft existed.
        var draftChain = new SpeculativeEngine(new ContextModelSession("draft", Vocabulary, salt: 7))
            .Generate(Prompt, new GenerationSettings { Sampling = SamplingOptions.Greedy, Mode = SpeculationMode.None, MaxTokens = 30 }, new SpeculationStatistics())
            .ToArray();
        var targetChain = new SpeculativeEngine(new ContextModelSession("target", Vocabulary, salt: 0))
            .Generate(Prompt, new GenerationSettings { Sampling = SamplingOptions.Greedy, Mode = SpeculationMode.None, MaxTokens = 30 }, new SpeculationStatistics())
            .ToArray();
        Assert.NotEqual(targetChain, answer);
        Assert.Equal(draftChain[..4], answer[..4]);
    }

    /// <summary>Speculative sampling (Leviathan et al., 2023; Chen et al., 2023) written from scratch against the public node.</summary>
    private sealed class SpeculativeSamplingRule : ISpeculativeVerifier
    {
        public int Calls { get; private set; }

        public int Accepted { get; private set; }

        public VerifierKind Kind => VerifierKind.Standard;

        public bool IsLossless => true;

        public DraftScheme Scheme => DraftScheme.Independent;

        public VerificationResult Verify(in VerificationNode node, IRandomSource random)
        {
            Calls++;
            var p = new double[node.Target.Length];
            for (int t = 0; t < p.Length; t++)
            {
                p[t] = node.Target[t] * node.TargetScale;
            }

            if (node.Candidates.IsEmpty)
            {
                return VerificationResult.Recovered(random.NextCategorical(p));
            }

            // Accept x with min(1, p(x) / q(x)); otherwise draw from the residual max(0, p - q).
            int x = node.Candidates[0];
            double qx = node.Draft.IsEmpty ? 1.0 : node.Draft[x] * node.DraftScale;
            if (qx > 0 && random.NextBernoulli(Math.Min(1.0, p[x] / qx)))
            {
                Accepted++;
                return new VerificationResult(x, 0);
            }

            var residual = new double[p.Length];
            for (int t = 0; t < p.Length; t++)
            {
                double q = node.Draft.IsEmpty ? (t == x ? 1.0 : 0.0) : node.Draft[t] * node.DraftScale;
                residual[t] = Math.Max(0, p[t] - q);
            }

            return VerificationResult.Recovered(random.NextCategorical(residual.Sum() > 0 ? residual : p));
        }
    }

    /// <summary>A deliberately lossy rule: every drafted token is accepted.</summary>
    private sealed class AcceptEverythingRule : ISpeculativeVerifier
    {
        public VerifierKind Kind => VerifierKind.Standard;

        public bool IsLossless => false;

        public DraftScheme Scheme => DraftScheme.Independent;

        public VerificationResult Verify(in VerificationNode node, IRandomSource random)
        {
            if (node.Candidates.IsEmpty)
            {
                // No draft here: take the target's most likely token.
                int best = 0;
                for (int t = 1; t < node.Target.Length; t++)
                {
                    if (node.Target[t] > node.Target[best])
                    {
                        best = t;
                    }
                }

                return VerificationResult.Recovered(best);
            }

            return new VerificationResult(node.Candidates[0], 0);
        }
    }
}
