using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.Engine;

public class MultiDraftEngineExactnessTests
{
    public static TheoryData<VerifierKind, int, int, double, double> Cases
    {
        get
        {
            var data = new TheoryData<VerifierKind, int, int, double, double>();
            foreach (var kind in new[] { VerifierKind.KSeq, VerifierKind.RecursiveRejection, VerifierKind.RecursiveRejectionWithoutReplacement, VerifierKind.TopK, VerifierKind.GreedyDraft })
            {
                // vocabulary, drafts, temperature, top-p
                data.Add(kind, 4, 2, 1.0, 1.0);
                data.Add(kind, 3, 3, 1.0, 1.0);
                data.Add(kind, 4, 2, 0.8, 0.9);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ExactEnumeration_MultiDraft_SequenceLawEqualsTarget(VerifierKind kind, int vocabulary, int draftCount, double temperature, double topP)
    {
        var kit = new EngineTestKit(vocabulary, draftNoise: 1.5);
        var sampling = new SamplingOptions { Temperature = temperature, TopP = topP };
        var settings = new GenerationSettings
        {
            Sampling = sampling,
            MaxTokens = 3,
            DraftLength = 2,
            DraftCount = draftCount,
            Mode = SpeculationMode.MultiDraft,
            Verifier = kind,

            // The diagnostic is tested on its own; it does not touch the random source, and it slows enumeration.
            MeasureOptimalAcceptance = false,
        };
        var (expected, actual) = Laws(kit, [0, 1], settings);
        AssertSameLaw(expected, actual);
    }

    [Theory]
    [InlineData(DraftScheme.TopK)]
    [InlineData(DraftScheme.WithoutReplacement)]
    public void ExactEnumeration_WrongSchemeForRecursiveRejectionRule_IsDetectedAsLossy(DraftScheme scheme)
    {
        // Wrong on purpose (DESIGN 3.3, 3.4): top-k drafts verified as if they were independent samples of the
        // draft's softmax; distinct (deduplicated) drafts verified with the with-replacement update.
        var kit = new EngineTestKit(3, draftNoise: 3.0);
        var settings = new GenerationSettings { MaxTokens = 2, DraftLength = 2, DraftCount = 2, Mode = SpeculationMode.MultiDraft, MeasureOptimalAcceptance = false };
        var (expected, actual) = Laws(kit, [0, 1], settings, new WrongScheme(RecursiveRejectionVerifier.Instance, scheme));
        Assert.True(TotalVariation(expected, actual) > 1e-3, $"total variation {TotalVariation(expected, actual)}");
    }

    internal static (Dictionary<string, double> Expected, Dictionary<string, double> Actual) Laws(EngineTestKit kit, int[] prompt, GenerationSettings settings, ISpeculativeVerifier? verifier = null)
    {
        var expected = kit.ExactLaw(prompt, settings.MaxTokens, settings.Sampling);
        var actual = new Dictionary<string, double>();
        foreach (var (sequence, probability) in EnumeratingRandomSource.Enumerate(random =>
                     verifier is null
                         ? kit.Generate(prompt, settings with { RandomSource = random })
                         : kit.Engine.Generate(prompt, settings with { RandomSource = random }, new SpeculationStatistics(), verifier).ToArray()))
        {
            string key = EngineTestKit.Key(sequence);
            actual[key] = actual.GetValueOrDefault(key) + probability;
        }

        return (expected, actual);
    }

    internal static void AssertSameLaw(Dictionary<string, double> expected, Dictionary<string, double> actual)
    {
        Assert.Equal(1.0, actual.Values.Sum(), 12);
        foreach (var (key, probability) in expected)
        {
            Assert.True(Math.Abs(probability - actual.GetValueOrDefault(key)) <= 1e-12, $"sequence {key}: target {probability:R}, engine {actual.GetValueOrDefault(key):R}");
        }

        Assert.All(actual.Keys, k => Assert.True(expected.ContainsKey(k), $"engine produced impossible sequence {k}"));
    }

    internal static double TotalVariation(Dictionary<string, double> expected, Dictionary<string, double> actual)
        => expected.Keys.Union(actual.Keys).Sum(k => Math.Abs(expected.GetValueOrDefault(k) - actual.GetValueOrDefault(k))) / 2;
}

/// <summary>A verifier that asks for a different draft scheme than the one it was proven for (to show the mismatch is caught).</summary>
internal sealed class WrongScheme(ISpeculativeVerifier inner, DraftScheme scheme) : ISpeculativeVerifier
{
    public VerifierKind Kind => inner.Kind;

    public bool IsLossless => inner.IsLossless;

    public DraftScheme Scheme => scheme;

    public VerificationResult Verify(in VerificationNode node, IRandomSource random) => inner.Verify(node, random);
}
