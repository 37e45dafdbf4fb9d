using System.Globalization;
using System.Numerics.Tensors;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Judge;

/// <summary>
/// Trains a <see cref="JudgeHead"/> by logistic regression with a class-weighted binary cross-entropy (the loss of
/// Judge Decoding: each class contributes half, since acceptable and unacceptable tokens are far from balanced),
/// full-batch Adam with L2 on standardised features, and evaluates it on a held-out split.
/// </summary>
public static class JudgeTrainer
{
    /// <summary>Trains a head on labelled hidden states (no held-out split).</summary>
    /// <param name="examples">Target hidden states at draft tokens, labelled acceptable or not.</param>
    /// <param name="epochs">Full passes (default 300).</param>
    /// <param name="learningRate">Adam step size (default 0.05).</param>
    /// <param name="l2">L2 penalty on the weights of standardised features (default 1e-3).</param>
    /// <param name="threshold">Threshold of the returned head.</param>
    /// <returns>The trained head.</returns>
    /// <exception cref="ArgumentException">No examples, mixed hidden sizes, or only one class.</exception>
    public static JudgeHead Train(IReadOnlyList<(float[] Hidden, bool Acceptable)> examples, int epochs = 300, double learningRate = 0.05, double l2 = 1e-3, double threshold = 0.5)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var options = new JudgeTrainingOptions { Epochs = epochs, LearningRate = learningRate, L2 = l2, Threshold = threshold };
        options.Validate();
        return Fit(examples.Select(e => new JudgeTokenExample(e.Hidden, e.Acceptable)).ToList(), options);
    }

    /// <summary>Holds out a share of the groups, trains on the rest, and reports AUC and precision/recall per threshold on the held-out tokens.</summary>
    /// <param name="examples">Labelled tokens; <see cref="JudgeTokenExample.Group"/> keeps a text on one side of the split.</param>
    /// <param name="options">Training settings; defaults when null.</param>
    /// <returns>The head and its evaluation.</returns>
    /// <exception cref="ArgumentException">No examples, mixed hidden sizes, or only one class among the training tokens.</exception>
    public static JudgeTrainingResult Train(IReadOnlyList<JudgeTokenExample> examples, JudgeTrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new JudgeTrainingOptions();
        options.Validate();
        var (train, heldOut) = Split(examples, options.HeldOutFraction, options.Seed);
        var head = Fit(train, options);
        var evaluated = heldOut.Count > 0 ? heldOut : train;
        var heldOutScores = evaluated.Select(e => head.Score(e.Hidden)).ToArray();
        var heldOutLabels = evaluated.Select(e => e.Acceptable).ToArray();
        var metrics = JudgeMetrics.AtThresholds(heldOutScores, heldOutLabels);
        string rule;
        if (options.Threshold is { } fixedThreshold)
        {
            rule = "given";
        }
        else
        {
            // NaN bad acceptance (no unacceptable held-out token) says nothing: such thresholds are not chosen.
            string split = heldOut.Count > 0 ? "held-out" : "training";
            var chosen = metrics.Where(m => m.BadAcceptance <= options.MaxBadAcceptance).Select(m => m.Threshold).DefaultIfEmpty(1.0).Min();
            head = head.WithThreshold(chosen);
            string share = (options.MaxBadAcceptance * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
            rule = chosen < 1
                ? $"lowest threshold accepting at most {share} of the {split} tokens labelled unacceptable"
                : $"no threshold below 1 keeps the {split} bad-token acceptance at or under {share}, so it never judges";
        }

        return new JudgeTrainingResult(
            head,
            train.Count,
            train.Count(e => e.Acceptable),
            heldOut.Count,
            heldOut.Count(e => e.Acceptable),
            JudgeMetrics.Auc(train.Select(e => head.Score(e.Hidden)).ToArray(), train.Select(e => e.Acceptable).ToArray()),
            heldOut.Count > 0 ? JudgeMetrics.Auc(heldOutScores, heldOutLabels) : double.NaN,
            metrics,
            rule);
    }

    /// <summary>Splits examples by group: a seeded shuffle of the distinct groups, the first share held out (at least one group when the share is positive and there are two or more).</summary>
    /// <param name="examples">The examples.</param>
    /// <param name="heldOutFraction">Share of groups held out, in [0, 1).</param>
    /// <param name="seed">Shuffle seed.</param>
    /// <returns>Training and held-out examples, each in input order.</returns>
    public static (List<JudgeTokenExample> Train, List<JudgeTokenExample> HeldOut) Split(IReadOnlyList<JudgeTokenExample> examples, double heldOutFraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var held = HeldOutGroups(examples.Select(e => e.Group).Distinct().Order().ToArray(), heldOutFraction, seed);
        return (examples.Where(e => !held.Contains(e.Group)).ToList(), examples.Where(e => held.Contains(e.Group)).ToList());
    }

    /// <summary>The groups a split holds out (the same rule as <see cref="Split"/>, so an evaluation can pick the held-out rows of a data file).</summary>
    /// <param name="groups">The distinct groups, in a stable order.</param>
    /// <param name="heldOutFraction">Share of groups held out, in [0, 1]; 1 holds out every group.</param>
    /// <param name="seed">Shuffle seed.</param>
    /// <returns>The held-out groups.</returns>
    public static HashSet<int> HeldOutGroups(IReadOnlyList<int> groups, double heldOutFraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (!(heldOutFraction >= 0 && heldOutFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(heldOutFraction), heldOutFraction, "The held-out share must be in [0, 1].");
        }

        var shuffled = groups.ToArray();
        var random = new SeededRandomSource(seed);
        for (int i = shuffled.Length - 1; i > 0; i--)
        {
            int j = (int)(random.NextUInt64() % (ulong)(i + 1));
            (shuffled[i], shuffled[j]) = (shuffled[j], shuffled[i]);
        }

        int count = (int)Math.Round(heldOutFraction * shuffled.Length);
        if (heldOutFraction > 0 && count == 0 && shuffled.Length >= 2)
        {
            count = 1;
        }

        return shuffled.Take(count).ToHashSet();
    }

    private static JudgeHead Fit(IReadOnlyList<JudgeTokenExample> examples, JudgeTrainingOptions options)
    {
        if (examples.Count == 0)
        {
            throw new ArgumentException("Training needs examples.", nameof(examples));
        }

        int size = examples[0].Hidden.Length;
        if (size == 0 || examples.Any(e => e.Hidden.Length != size))
        {
            throw new ArgumentException("All hidden states must have the same, non-zero size.", nameof(examples));
        }

        int positives = examples.Count(e => e.Acceptable);
        if (positives == 0 || positives == examples.Count)
        {
            throw new ArgumentException($"Training needs both acceptable and unacceptable examples; got {positives} acceptable of {examples.Count}.", nameof(examples));
        }

        // Standardised features (mean 0, variance 1 per dimension) so one L2 and one step size suit every model;
        // the scale is folded back into the weights at the end.
        var mean = new double[size];
        var scale = new double[size];
        var hidden = new double[size];
        foreach (var e in examples)
        {
            Widen(e.Hidden, hidden);
            TensorPrimitives.Add(mean, hidden, mean);
        }

        TensorPrimitives.Divide(mean, examples.Count, mean);
        foreach (var e in examples)
        {
            Widen(e.Hidden, hidden);
            TensorPrimitives.Subtract(hidden, mean, hidden);
            TensorPrimitives.MultiplyAdd(hidden, hidden, scale, scale);
        }

        for (int i = 0; i < size; i++)
        {
            double sd = Math.Sqrt(scale[i] / examples.Count);
            scale[i] = sd > 1e-12 ? 1.0 / sd : 0.0;
        }

        // Class weights so each class contributes half of the loss.
        double positiveWeight = examples.Count / (2.0 * positives);
        double negativeWeight = examples.Count / (2.0 * (examples.Count - positives));
        var w = new double[size];
        double b = 0;
        var gradient = new double[size];
        var m = new double[size + 1];
        var v = new double[size + 1];
        const double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            Array.Clear(gradient);
            double gradientBias = 0;
            foreach (var (h, acceptable, _) in examples)
            {
                Standardise(h, mean, scale, hidden);
                double z = TensorPrimitives.Dot<double>(hidden, w) + b;
                double p = 1.0 / (1.0 + Math.Exp(-z));
                double error = (p - (acceptable ? 1 : 0)) * (acceptable ? positiveWeight : negativeWeight);
                TensorPrimitives.MultiplyAdd(hidden, error, gradient, gradient);
                gradientBias += error;
            }

            for (int i = 0; i <= size; i++)
            {
                double g = i < size ? gradient[i] / examples.Count + options.L2 * w[i] : gradientBias / examples.Count;
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                double step = options.LearningRate * (m[i] / (1 - Math.Pow(beta1, epoch))) / (Math.Sqrt(v[i] / (1 - Math.Pow(beta2, epoch))) + epsilon);
                if (i < size)
                {
                    w[i] -= step;
                }
                else
                {
                    b -= step;
                }
            }
        }

        // w·((h - mean) * scale) + b = (w * scale)·h + (b - (w * scale)·mean).
        TensorPrimitives.Multiply(w, scale, w);
        double bias = b - TensorPrimitives.Dot<double>(w, mean);
        return new JudgeHead(w.Select(x => (float)x).ToArray(), (float)bias, options.Threshold ?? 0.5, options.Target);
    }

    private static void Widen(float[] source, double[] destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = source[i];
        }
    }

    private static void Standardise(float[] source, double[] mean, double[] scale, double[] destination)
    {
        Widen(source, destination);
        TensorPrimitives.Subtract(destination, mean, destination);
        TensorPrimitives.Multiply(destination, scale, destination);
    }
}
