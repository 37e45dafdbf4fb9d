using SpecAI.Extensions.Superposed;

namespace SpecAI.Extensions.Tests.Superposed;

/// <summary>
/// A fake model with a known law: the input is the superposition of one-hot embeddings, logits = W x. Every step
/// the search's kept drafts must be exactly the k best of all k^2 expansions, recomputed by brute force.
/// </summary>
public class SuperposedSearchTests
{
    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 0.1)]
    [InlineData(3, 0.5)]
    [InlineData(5, 1.0)]
    public void EveryStep_KeptDraftsAreTheKBestCandidates(int k, double alpha)
    {
        const int vocabulary = 9;
        const int stop = 8;
        var rng = new Random(31 + k);
        for (int trial = 0; trial < 20; trial++)
        {
            double[,] w = new double[vocabulary, vocabulary];
            for (int i = 0; i < vocabulary; i++)
            {
                for (int j = 0; j < vocabulary; j++)
                {
                    w[i, j] = 3 * rng.NextDouble();
                }
            }

            int[] prompt = Enumerable.Range(0, 12).Select(_ => rng.Next(stop)).ToArray();
            double temperature = trial % 2 == 0 ? 1.0 : 0.7;
            var search = new SuperposedSearch(prompt, vocabulary, k, new HashSet<int> { stop }, alpha, temperature, maxHistory: 3);
            var ngram = new ContextNGramModel(prompt, vocabulary, 3);
            float[] logits = Logits(w, OneHot(vocabulary, prompt[^1]));
            var before = new List<(int[] Tokens, double Score, bool Finished)> { ([], 0, false) };
            for (int step = 0; step < 8 && search.AnyRunning; step++)
            {
                var (expected, candidates) = BruteForce(before, logits, k, temperature, alpha, ngram, prompt, stop);
                search.Step(logits);
                var actual = Enumerable.Range(0, k).Select(d => (Tokens: search.Tokens(d).ToArray(), Score: search.Score(d), Finished: search.IsFinished(d))).ToList();

                // The kept scores are the k best; each kept draft is a real expansion (or a finished draft) with that
                // score. Exact ties (the same tokens in another order score alike) may be kept either way.
                Assert.Equal(expected.Select(e => Math.Round(e.Score, 9)).Order(), actual.Select(a => Math.Round(a.Score, 9)).Order());
                foreach (var draft in actual)
                {
                    Assert.Contains(candidates, c => c.Tokens.SequenceEqual(draft.Tokens) && c.Finished == draft.Finished && Math.Abs(c.Score - draft.Score) < 1e-9);
                }

                Assert.Equal(k, actual.Select(a => $"{string.Join(',', a.Tokens)}|{a.Finished}").Distinct().Count());

                // Scores are sums over each draft's own steps; recomputed from scratch they agree.
                before = actual;
                if (!search.AnyRunning)
                {
                    break;
                }

                var weights = new double[k];
                search.SuperpositionWeights(weights);
                double z = Enumerable.Range(0, k).Where(d => !search.IsFinished(d)).Sum(d => Math.Exp(search.Score(d)));
                var x = new double[vocabulary];
                for (int d = 0; d < k; d++)
                {
                    Assert.Equal(search.IsFinished(d) ? 0 : Math.Exp(search.Score(d)) / z, weights[d], 12);
                    if (!search.IsFinished(d))
                    {
                        x[search.LastToken(d)] += weights[d];
                    }
                }

                logits = Logits(w, x);
            }
        }
    }

    [Fact]
    public void Drafts_AreDistinctSequences()
    {
        var search = new SuperposedSearch([1, 2, 3, 1, 2], 6, 4, new HashSet<int>(), alpha: 0.3);
        var logits = new float[] { 1, 2, 3, 2, 1, 0 };
        for (int step = 0; step < 6; step++)
        {
            search.Step(logits);
        }

        var texts = Enumerable.Range(0, 4).Select(d => string.Join(',', search.Tokens(d))).ToHashSet();
        Assert.Equal(4, texts.Count);
        Assert.All(Enumerable.Range(0, 4), d => Assert.Equal(6, search.Tokens(d).Count));
    }

    private static (List<(int[] Tokens, double Score, bool Finished)> Kept, List<(int[] Tokens, double Score, bool Finished)> All) BruteForce(
        List<(int[] Tokens, double Score, bool Finished)> drafts, float[] logits, int k, double temperature, double alpha, ContextNGramModel ngram, int[] prompt, int stop)
    {
        int[] top = Enumerable.Range(0, logits.Length).OrderByDescending(t => logits[t]).ThenBy(t => t).Take(k).ToArray();
        double z = top.Sum(t => Math.Exp(logits[t] / temperature));
        var candidates = new List<(int[] Tokens, double Score, bool Finished, int Draft, int Rank)>();
        for (int d = 0; d < drafts.Count; d++)
        {
            if (drafts[d].Finished)
            {
                continue;
            }

            for (int j = 0; j < top.Length; j++)
            {
                int t = top[j];
                double q = ngram.Probability(prompt.Concat(drafts[d].Tokens).ToArray(), t);
                double score = drafts[d].Score + ((1 - alpha) * Math.Log(Math.Exp(logits[t] / temperature) / z)) + (alpha * Math.Log(q));
                candidates.Add((t == stop ? drafts[d].Tokens : [.. drafts[d].Tokens, t], score, t == stop, d, j));
            }
        }

        var finished = drafts.Where(d => d.Finished).ToList();
        var kept = candidates.OrderByDescending(c => c.Score).ThenBy(c => c.Draft).ThenBy(c => c.Rank).Take(k - finished.Count)
            .Select(c => (c.Tokens, c.Score, c.Finished));
        return (finished.Concat(kept).ToList(), finished.Concat(candidates.Select(c => (c.Tokens, c.Score, c.Finished))).ToList());
    }

    private static double[] OneHot(int size, int index)
    {
        var x = new double[size];
        x[index] = 1;
        return x;
    }

    private static float[] Logits(double[,] w, double[] x)
    {
        int n = x.Length;
        var logits = new float[n];
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int j = 0; j < n; j++)
            {
                sum += w[i, j] * x[j];
            }

            logits[i] = (float)sum;
        }

        return logits;
    }
}
