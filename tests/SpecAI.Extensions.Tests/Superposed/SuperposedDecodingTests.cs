using SpecAI.Extensions.Superposed;

namespace SpecAI.Extensions.Tests.Superposed;

public class SuperposedDecodingTests
{
    [Fact]
    public void NGram_SumsToOneOverVocabulary_AndMatchesRecursiveReference()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            int vocabulary = 2 + (trial % 7);
            int[] context = Enumerable.Range(0, rng.Next(0, 40)).Select(_ => rng.Next(vocabulary)).ToArray();
            int[] history = Enumerable.Range(0, rng.Next(0, 6)).Select(_ => rng.Next(vocabulary)).ToArray();
            int maxHistory = rng.Next(0, 5);
            double lambda = 0.2 + (0.6 * rng.NextDouble());
            var model = new ContextNGramModel(context, vocabulary, maxHistory, lambda);
            int[] all = Enumerable.Range(0, vocabulary).ToArray();
            var p = new double[vocabulary];
            model.Probabilities(history, all, p);
            Assert.Equal(1.0, p.Sum(), 1e-12);
            for (int t = 0; t < vocabulary; t++)
            {
                Assert.Equal(Reference(context, vocabulary, history, t, Math.Min(maxHistory, history.Length), lambda), p[t], 1e-12);
                Assert.True(p[t] > 0);
            }
        }
    }

    [Fact]
    public void TopTokens_HighestLogitsDescending_TiesToLowerId_RenormalisedWithinTopK()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 300; trial++)
        {
            int vocabulary = 1 + rng.Next(40);
            int k = 1 + rng.Next(vocabulary);
            float[] logits = Enumerable.Range(0, vocabulary).Select(_ => (float)rng.Next(-3, 4)).ToArray();
            double temperature = 0.5 + rng.NextDouble();
            var tokens = new int[k];
            var logs = new double[k];
            SuperposedDecoding.TopTokens(logits, temperature, tokens, logs);
            int[] expected = Enumerable.Range(0, vocabulary).OrderByDescending(t => logits[t]).ThenBy(t => t).Take(k).ToArray();
            Assert.Equal(expected, tokens);
            double z = expected.Sum(t => Math.Exp(logits[t] / temperature));
            for (int i = 0; i < k; i++)
            {
                Assert.Equal(Math.Log(Math.Exp(logits[expected[i]] / temperature) / z), logs[i], 1e-12);
            }
        }
    }

    [Fact]
    public void SelectCandidates_KeepsExactlyTheKBestOfAllExpansions()
    {
        var rng = new Random(23);
        for (int trial = 0; trial < 500; trial++)
        {
            int drafts = 1 + rng.Next(6);
            int k = 1 + rng.Next(6);
            int keep = rng.Next(0, drafts + 1);
            double[] scores = Enumerable.Range(0, drafts).Select(_ => Math.Round(-5 * rng.NextDouble(), 1)).ToArray();
            bool[] running = Enumerable.Range(0, drafts).Select(_ => rng.Next(4) != 0).ToArray();
            int[] top = Enumerable.Range(100, k).ToArray();
            double[] topLog = Enumerable.Range(0, k).Select(_ => Math.Round(Math.Log(rng.NextDouble()), 1)).ToArray();
            double[] ngram = Enumerable.Range(0, drafts * k).Select(_ => rng.Next(1, 5) / 4.0).ToArray();
            double alpha = rng.Next(3) / 2.0;
            var selected = new SuperposedCandidate[keep];
            int count = SuperposedDecoding.SelectCandidates(scores, running, top, topLog, ngram, alpha, selected);

            var expected = (from d in Enumerable.Range(0, drafts)
                            where running[d]
                            from j in Enumerable.Range(0, k)
                            let score = scores[d] + ((1 - alpha) * topLog[j]) + (alpha * Math.Log(ngram[(d * k) + j]))
                            orderby score descending, d, j
                            select (d, top[j], score)).Take(keep).ToArray();
            Assert.Equal(expected.Length, count);
            for (int i = 0; i < count; i++)
            {
                Assert.Equal(expected[i].d, selected[i].Draft);
                Assert.Equal(expected[i].Item2, selected[i].Token);
                Assert.Equal(expected[i].score, selected[i].Score, 1e-12);
            }
        }
    }

    [Fact]
    public void SuperpositionWeights_SoftmaxOfRunningScores()
    {
        var weights = new double[3];
        SuperposedDecoding.SuperpositionWeights([-1.0, -2.0, -0.5], [true, false, true], weights);
        double z = Math.Exp(-1.0) + Math.Exp(-0.5);
        Assert.Equal(Math.Exp(-1.0) / z, weights[0], 12);
        Assert.Equal(0, weights[1]);
        Assert.Equal(Math.Exp(-0.5) / z, weights[2], 12);
        Assert.Throws<ArgumentException>("running", () => SuperposedDecoding.SuperpositionWeights([0.0], [false], new double[1]));
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>("temperature", () => SuperposedDecoding.TopTokens([1f, 2f], 0, new int[1], new double[1]));
        Assert.Throws<ArgumentException>("tokens", () => SuperposedDecoding.TopTokens([1f, 2f], 1, new int[3], new double[3]));
        Assert.Throws<ArgumentOutOfRangeException>("alpha", () => SuperposedDecoding.SelectCandidates([0.0], [true], [1], [0.0], [1.0], 2, new SuperposedCandidate[1]));
        Assert.Throws<ArgumentOutOfRangeException>("context", () => new ContextNGramModel([5], 3));
        Assert.Throws<ArgumentOutOfRangeException>("draftCount", () => new SuperposedSearch([1], 4, 5, new HashSet<int>()));
    }

    /// <summary>The Jelinek-Mercer recursion written directly from its definition.</summary>
    private static double Reference(int[] context, int vocabulary, int[] history, int token, int order, double lambda)
    {
        if (order == 0)
        {
            return (context.Count(t => t == token) + 1.0) / (context.Length + vocabulary);
        }

        int[] h = history[^order..];
        double lower = Reference(context, vocabulary, history, token, order - 1, lambda);
        var followers = Enumerable.Range(h.Length, Math.Max(0, context.Length - h.Length))
            .Where(end => context.AsSpan(end - h.Length, h.Length).SequenceEqual(h))
            .Select(end => context[end]).ToArray();
        return followers.Length == 0 ? lower : (lambda * followers.Count(t => t == token) / followers.Length) + ((1 - lambda) * lower);
    }
}
