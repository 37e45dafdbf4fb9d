using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Tests.TestSupport;

/// <summary>
/// Runs a randomised computation once per branch of every random choice it makes, weighting each run
/// by the exact probability of its choices. Re-execution with a recorded choice prefix: the code under
/// test is deterministic given its choices, so the same choice points reappear in the same order.
/// </summary>
internal sealed class EnumeratingRandomSource : IRandomSource
{
    private readonly List<(int Choice, int Count)> _trace = new();
    private int _cursor;

    public double PathProbability { get; private set; } = 1.0;

    public bool NextBernoulli(double probability)
    {
        if (probability >= 1)
        {
            return true;
        }

        if (probability <= 0)
        {
            return false;
        }

        int choice = Choose(2);
        PathProbability *= choice == 0 ? probability : 1 - probability;
        return choice == 0;
    }

    public int NextCategorical(ReadOnlySpan<double> weights)
    {
        double total = 0;
        int support = 0;
        foreach (double w in weights)
        {
            if (w > 0)
            {
                total += w;
                support++;
            }
        }

        if (support == 0)
        {
            throw new ArgumentException("Cannot sample: every weight is zero.", nameof(weights));
        }

        int choice = Choose(support);
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] > 0 && choice-- == 0)
            {
                PathProbability *= weights[i] / total;
                return i;
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Runs <paramref name="body"/> once per path; returns (result, probability) pairs.</summary>
    public static List<(T Result, double Probability)> Enumerate<T>(Func<IRandomSource, T> body, int maxPaths = 2_000_000)
    {
        var results = new List<(T, double)>();
        var source = new EnumeratingRandomSource();
        while (true)
        {
            source._cursor = 0;
            source.PathProbability = 1.0;
            T result = body(source);
            if (source._cursor != source._trace.Count)
            {
                throw new InvalidOperationException("The computation made fewer choices than on an earlier run with the same prefix: it is not deterministic given its choices.");
            }

            results.Add((result, source.PathProbability));
            if (results.Count > maxPaths)
            {
                throw new InvalidOperationException("Too many paths to enumerate.");
            }

            // Advance to the next choice sequence (odometer from the deepest choice).
            while (source._trace.Count > 0 && source._trace[^1].Choice == source._trace[^1].Count - 1)
            {
                source._trace.RemoveAt(source._trace.Count - 1);
            }

            if (source._trace.Count == 0)
            {
                return results;
            }

            var (c, n) = source._trace[^1];
            source._trace[^1] = (c + 1, n);
        }
    }

    private int Choose(int count)
    {
        if (_cursor < _trace.Count)
        {
            var (choice, recorded) = _trace[_cursor++];
            if (recorded != count)
            {
                throw new InvalidOperationException("Choice point changed between runs: the computation is not deterministic given its choices.");
            }

            return choice;
        }

        _trace.Add((0, count));
        _cursor++;
        return 0;
    }
}
