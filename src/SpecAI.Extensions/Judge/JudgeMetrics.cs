namespace SpecAI.Extensions.Judge;

/// <summary>Ranking and threshold metrics of judge scores against labels.</summary>
internal static class JudgeMetrics
{
    /// <summary>The default threshold grid: 0, 0.05, ..., 1.</summary>
    public static IReadOnlyList<double> DefaultThresholds { get; } = Enumerable.Range(0, 21).Select(i => i / 20.0).ToArray();

    /// <summary>Area under the ROC curve (probability that a random acceptable token outscores a random unacceptable one; ties count half).</summary>
    /// <param name="scores">Scores.</param>
    /// <param name="acceptable">Labels, one per score.</param>
    /// <returns>The AUC, or NaN when either class is missing.</returns>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<bool> acceptable)
    {
        Check(scores, acceptable);
        long positives = acceptable.Count(a => a), negatives = acceptable.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        // Mann-Whitney U from average ranks (ties share their mean rank).
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double positiveRankSum = 0;
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]])
            {
                j++;
            }

            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++)
            {
                if (acceptable[order[k]])
                {
                    positiveRankSum += rank;
                }
            }

            i = j + 1;
        }

        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>Precision, recall, accepted share and bad acceptance at each threshold.</summary>
    /// <param name="scores">Scores.</param>
    /// <param name="acceptable">Labels, one per score.</param>
    /// <param name="thresholds">Thresholds; <see cref="DefaultThresholds"/> when null.</param>
    /// <returns>One entry per threshold, in the given order.</returns>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static IReadOnlyList<JudgeThresholdMetrics> AtThresholds(IReadOnlyList<double> scores, IReadOnlyList<bool> acceptable, IEnumerable<double>? thresholds = null)
    {
        Check(scores, acceptable);
        int positives = acceptable.Count(a => a), negatives = acceptable.Count - positives;
        var result = new List<JudgeThresholdMetrics>();
        foreach (double t in thresholds ?? DefaultThresholds)
        {
            int truePositives = 0, falsePositives = 0;
            for (int i = 0; i < scores.Count; i++)
            {
                if (scores[i] > t)
                {
                    if (acceptable[i])
                    {
                        truePositives++;
                    }
                    else
                    {
                        falsePositives++;
                    }
                }
            }

            int accepted = truePositives + falsePositives;
            result.Add(new JudgeThresholdMetrics(
                t,
                accepted == 0 ? double.NaN : (double)truePositives / accepted,
                positives == 0 ? double.NaN : (double)truePositives / positives,
                scores.Count == 0 ? double.NaN : (double)accepted / scores.Count,
                negatives == 0 ? double.NaN : (double)falsePositives / negatives));
        }

        return result;
    }

    private static void Check(IReadOnlyList<double> scores, IReadOnlyList<bool> acceptable)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(acceptable);
        if (scores.Count != acceptable.Count)
        {
            throw new ArgumentException($"{scores.Count} scores but {acceptable.Count} labels.", nameof(acceptable));
        }
    }
}
