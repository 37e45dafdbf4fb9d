using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Tests.Sampling;

/// <summary>
/// Plain scalar reference of the sampling transforms (the dense implementation the vectorised, sparse one replaced):
/// bias, penalties, temperature, stable softmax (float exponentials of float-rounded arguments, sums in double), top-k, top-p, min-p, renormalisation, one element at a time.
/// </summary>
internal static class ScalarSampling
{
    public static double[] Process(SamplingOptions options, float[] logits, int[] history)
    {
        int v = logits.Length;
        var x = new double[v];
        for (int i = 0; i < v; i++)
        {
            x[i] = logits[i];
        }

        if (options.LogitBias is { } bias)
        {
            foreach (var (token, b) in bias)
            {
                if (token >= 0 && token < v)
                {
                    x[token] += b;
                }
            }
        }

        if (options.HasPenalties && options.PenaltyWindow > 0 && history.Length > 0)
        {
            var counts = new Dictionary<int, int>();
            foreach (int token in history[^Math.Min(options.PenaltyWindow, history.Length)..])
            {
                if (token >= 0 && token < v)
                {
                    counts[token] = counts.GetValueOrDefault(token) + 1;
                }
            }

            foreach (var (token, count) in counts)
            {
                double logit = x[token];
                logit = logit > 0 ? logit / options.RepetitionPenalty : logit * options.RepetitionPenalty;
                x[token] = logit - (count * options.FrequencyPenalty + options.PresencePenalty);
            }
        }

        int best = 0;
        for (int i = 1; i < v; i++)
        {
            if (x[i] > x[best])
            {
                best = i;
            }
        }

        var p = new double[v];
        if (options.IsGreedy)
        {
            p[best] = 1;
            return p;
        }

        double z = 0;
        for (int i = 0; i < v; i++)
        {
            // The float softmax the processor samples from: the argument in double, rounded to float, a float exp.
            p[i] = MathF.Exp((float)((x[i] - x[best]) * (1.0 / options.Temperature)));
            z += p[i];
        }

        for (int i = 0; i < v; i++)
        {
            p[i] /= z;
        }

        var order = Enumerable.Range(0, v).OrderByDescending(i => p[i]).ThenBy(i => i).ToArray();
        int keep = options.TopK > 0 && options.TopK < v ? options.TopK : v;
        double cumulative = 0;
        for (int i = 0; i < keep && options.TopP < 1; i++)
        {
            cumulative += p[order[i]];
            if (cumulative >= options.TopP)
            {
                keep = i + 1;
                break;
            }
        }

        var q = new double[v];
        foreach (int i in order.Take(keep))
        {
            q[i] = p[i];
        }

        double max = q.Max();
        for (int i = 0; i < v; i++)
        {
            if (q[i] < options.MinP * max)
            {
                q[i] = 0;
            }
        }

        double sum = q.Sum();
        return q.Select(w => w / sum).ToArray();
    }
}
