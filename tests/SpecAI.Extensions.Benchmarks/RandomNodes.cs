using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Benchmarks;

/// <summary>
/// Random target/draft distribution pairs and candidates, built once per parameter set. The draft's logits are the
/// target's plus noise, so drafts are accepted often but not always (both the accept and the residual path run).
/// </summary>
internal sealed class RandomNodes
{
    /// <summary>How many distinct nodes a benchmark cycles through.</summary>
    public const int Count = 8;

    private RandomNodes(double[][] targets, double[][] drafts, int[][] candidates, float[][] logits)
    {
        Targets = targets;
        Drafts = drafts;
        Candidates = candidates;
        Logits = logits;
    }

    public double[][] Targets { get; }

    public double[][] Drafts { get; }

    public int[][] Candidates { get; }

    public float[][] Logits { get; }

    /// <summary>Builds <see cref="Count"/> nodes of vocabulary <paramref name="vocabulary"/> with <paramref name="k"/> candidates drawn by <paramref name="scheme"/>.</summary>
    public static RandomNodes Create(int vocabulary, int k, DraftScheme scheme, int seed = 42)
    {
        var rng = new Random(seed);
        var sampler = new SeededRandomSource(seed);
        var targets = new double[Count][];
        var drafts = new double[Count][];
        var candidates = new int[Count][];
        var logits = new float[Count][];
        for (int n = 0; n < Count; n++)
        {
            var lp = new double[vocabulary];
            var lq = new double[vocabulary];
            var raw = new float[vocabulary];
            for (int i = 0; i < vocabulary; i++)
            {
                // Heavy-ish head: Gaussian logits with sigma 2.5 give an entropy of a few nats, like a small LM.
                double l = Gaussian(rng) * 2.5;
                raw[i] = (float)l;
                lp[i] = l;
                lq[i] = l + Gaussian(rng) * 0.8;
            }

            LogitProcessor.Softmax(lp);
            LogitProcessor.Softmax(lq);
            targets[n] = lp;
            drafts[n] = lq;
            logits[n] = raw;
            candidates[n] = Draw(lq, k, scheme, sampler);
        }

        return new RandomNodes(targets, drafts, candidates, logits);
    }

    private static int[] Draw(double[] q, int k, DraftScheme scheme, SeededRandomSource random)
    {
        var result = new int[k];
        switch (scheme)
        {
            case DraftScheme.Independent:
                for (int i = 0; i < k; i++)
                {
                    result[i] = random.NextCategorical(q);
                }

                break;
            case DraftScheme.WithoutReplacement:
            {
                var w = (double[])q.Clone();
                for (int i = 0; i < k; i++)
                {
                    result[i] = random.NextCategorical(w);
                    w[result[i]] = 0;
                }

                break;
            }

            case DraftScheme.TopK:
                TopIndices(q, k).CopyTo(result, 0);
                break;
            case DraftScheme.GreedyDraft:
            {
                var top = TopIndices(q, k - 1);
                top.CopyTo(result, 0);
                var w = (double[])q.Clone();
                foreach (int t in top)
                {
                    w[t] = 0;
                }

                result[k - 1] = random.NextCategorical(w);
                break;
            }
        }

        return result;
    }

    private static int[] TopIndices(double[] q, int k) =>
        Enumerable.Range(0, q.Length).OrderByDescending(i => q[i]).ThenBy(i => i).Take(k).ToArray();

    private static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
