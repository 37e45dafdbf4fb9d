using System.Numerics.Tensors;

namespace SpecAI.Extensions.Judge;

/// <summary>
/// Trains a <see cref="JudgeHead"/> by logistic regression with a class-weighted binary cross-entropy (the
/// loss of Judge Decoding; acceptable tokens are the minority class), full-batch Adam with L2 regularisation.
/// </summary>
public static class JudgeTrainer
{
    /// <summary>Trains a head on labelled hidden states.</summary>
    /// <param name="examples">Target hidden states at draft tokens, labelled acceptable or not.</param>
    /// <param name="epochs">Full passes (default 300).</param>
    /// <param name="learningRate">Adam step size (default 0.05).</param>
    /// <param name="l2">L2 penalty on the weights (default 1e-4).</param>
    /// <param name="threshold">Threshold of the returned head.</param>
    /// <returns>The trained head.</returns>
    /// <exception cref="ArgumentException">No examples, mixed hidden sizes, or only one class.</exception>
    public static JudgeHead Train(IReadOnlyList<(float[] Hidden, bool Acceptable)> examples, int epochs = 300, double learningRate = 0.05, double l2 = 1e-4, double threshold = 0.5)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0)
        {
            throw new ArgumentException("Training needs examples.", nameof(examples));
        }

        int size = examples[0].Hidden.Length;
        if (examples.Any(e => e.Hidden.Length != size))
        {
            throw new ArgumentException("All hidden states must have the same size.", nameof(examples));
        }

        int positives = examples.Count(e => e.Acceptable);
        if (positives == 0 || positives == examples.Count)
        {
            throw new ArgumentException("Training needs both acceptable and unacceptable examples.", nameof(examples));
        }

        // Class weights so each class contributes half of the loss.
        double positiveWeight = examples.Count / (2.0 * positives);
        double negativeWeight = examples.Count / (2.0 * (examples.Count - positives));
        var w = new double[size];
        double b = 0;
        var gradient = new double[size];
        var m = new double[size + 1];
        var v = new double[size + 1];
        var hidden = new double[size];
        const double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            Array.Clear(gradient);
            double gradientBias = 0;
            foreach (var (h, acceptable) in examples)
            {
                for (int i = 0; i < size; i++)
                {
                    hidden[i] = h[i];
                }

                double z = TensorPrimitives.Dot<double>(hidden, w) + b;
                double p = 1.0 / (1.0 + Math.Exp(-z));
                double error = (p - (acceptable ? 1 : 0)) * (acceptable ? positiveWeight : negativeWeight);
                TensorPrimitives.MultiplyAdd(hidden, error, gradient, gradient);
                gradientBias += error;
            }

            for (int i = 0; i <= size; i++)
            {
                double g = i < size ? gradient[i] / examples.Count + l2 * w[i] : gradientBias / examples.Count;
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                double step = learningRate * (m[i] / (1 - Math.Pow(beta1, epoch))) / (Math.Sqrt(v[i] / (1 - Math.Pow(beta2, epoch))) + epsilon);
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

        return new JudgeHead(w.Select(x => (float)x).ToArray(), (float)b, threshold);
    }
}
