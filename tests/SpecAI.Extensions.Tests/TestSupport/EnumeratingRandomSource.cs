using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Tests.TestSupport;

/// <summary>
/// Runs a randomised computation once per branch of every random choice it makes, weighting each run
/// by the exact probability of its choices. Re-execution with a recorded choice prefix: the code under
/// test is deterministic given its choices, so the same choice points reappear in the same order.
/// </summary>
/// <remarks>
/// Deterministic up to rounding only: vectorised kernels may round one ulp differently once the JIT recompiles
/// them (precompiled and tiered code use different instruction sets), so a weight that is 0 in one run can be
/// 1e-17 in the next. Branches below <see cref="Negligible"/> of their choice point are therefore not taken; they
/// move a path's probability by less than that, far under the 1e-12 the exactness tests compare at.
/// </remarks>
internal sealed class EnumeratingRandomSource : IRandomSource
{
    private readonly List<(int Choice, int Count)> _trace = new();
    private int _cursor;

    /// <summary>Relative weight below which a branch is not enumerated (rounding noise, see the remarks).</summary>
    public const double Negligible = 1e-14;

    public double PathProbability { get; private set; } = 1.0;

    public bool NextBernoulli(double probability)
    {
        if (probability >= 1 - Negligible)
        {
            return true;
        }

        if (probability <= Negligible)
        {
            return false;
        }

        int choice = Choose(2);
        PathProbability *= choice == 0 ? probability : 1 - probability;
        return choice == 0;
    }

    public int NextCategorical(ReadOnlySpan<double> weights)
    {
        double max = 0;
        foreach (double w in weights)
        {
            max = Math.Max(max, w);
        }

        double floor = max * Negligible, total = 0;
        int support = 0;
        foreach (double w in weights)
        {
            if (w > floor)
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
            if (weights[i] > floor && choice-- == 0)
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
