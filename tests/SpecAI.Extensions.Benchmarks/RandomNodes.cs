using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Benchmarks;

/// <summary>
/// Random target/draft logit pairs, their distributions and candidates, built once per parameter set. The draft's logits
/// are the target's plus noise, so drafts are accepted often but not always (both the accept and the residual path run).
/// </summary>
internal sealed class RandomNodes
{
    /// <summary>How many distinct nodes a benchmark cycles through.</summary>
    public const int Count = 8;

    private RandomNodes(float[][] targetLogits, float[][] draftLogits, TokenDistribution[] targets, TokenDistribution[] drafts, int[][] candidates)
    {
        TargetLogits = targetLogits;
        DraftLogits = draftLogits;
        Targets = targets;
        Drafts = drafts;
        Candidates = candidates;
    }

    public float[][] TargetLogits { get; }

    public float[][] DraftLogits { get; }

    /// <summary>Target distributions after <see cref="Create"/>'s sampling options.</summary>
    public TokenDistribution[] Targets { get; }

    /// <summary>Draft distributions after the same options: what the candidates were drawn from.</summary>
    public TokenDistribution[] Drafts { get; }

    public int[][] Candidates { get; }

    /// <summary>Builds <see cref="Count"/> nodes of vocabulary <paramref name="vocabulary"/> with <paramref name="k"/> candidates drawn by <paramref name="scheme"/>.</summary>
    public static RandomNodes Create(int vocabulary, int k, DraftScheme scheme, SamplingOptions? sampling = null, int seed = 42)
    {
        var rng = new Random(seed);
        var sampler = new SeededRandomSource(seed);
        var processor = new LogitProcessor(sampling ?? new SamplingOptions());
        var targetLogits = new float[Count][];
        var draftLogits = new float[Count][];
        var targets = new TokenDistribution[Count];
        var drafts = new TokenDistribution[Count];
        var candidates = new int[Count][];
        var scratch = new double[vocabulary];
        for (int n = 0; n < Count; n++)
        {
            var lp = new float[vocabulary];
            var lq = new float[vocabulary];
            for (int i = 0; i < vocabulary; i++)
            {
                // Heavy-ish head: Gaussian logits with sigma 2.5 give an entropy of a few nats, like a small LM.
                double l = Gaussian(rng) * 2.5;
                lp[i] = (float)l;
                lq[i] = (float)(l + Gaussian(rng) * 0.8);
            }

            targetLogits[n] = lp;
            draftLogits[n] = lq;
            targets[n] = new TokenDistribution(vocabulary);
            drafts[n] = new TokenDistribution(vocabulary);
            processor.Process(lp, [], 0, targets[n]);
            processor.Process(lq, [], 0, drafts[n]);
            var drawn = new int[k];
            int count = CandidateSampler.Sample(scheme, drafts[n], k, sampler, drawn, scratch);
            candidates[n] = drawn[..count];
        }

        return new RandomNodes(targetLogits, draftLogits, targets, drafts, candidates);
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
