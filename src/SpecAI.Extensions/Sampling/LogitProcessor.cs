using System.Numerics.Tensors;

namespace SpecAI.Extensions.Sampling;

/// <summary>
/// Turns raw logits into the sampling distribution described by <see cref="SamplingOptions"/>, in double.
/// </summary>
/// <remarks>Holds scratch buffers: one instance per request, not thread-safe.</remarks>
public sealed class LogitProcessor
{
    private readonly SamplingOptions _options;
    private readonly ITokenConstraint? _constraint;
    private readonly Dictionary<int, int> _counts = new();
    private int[] _order = Array.Empty<int>();
    private double[] _keys = Array.Empty<double>();

    /// <summary>Creates a processor for the given options.</summary>
    /// <param name="options">The sampling transforms; validated here.</param>
    /// <param name="constraint">An optional constraint (grammar) applied before the softmax.</param>
    public LogitProcessor(SamplingOptions options, ITokenConstraint? constraint = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _constraint = constraint;
    }

    /// <summary>The transforms this processor applies.</summary>
    public SamplingOptions Options => _options;

    /// <summary>Computes the sampling distribution of the next token.</summary>
    /// <param name="logits">Raw logits, one per vocabulary entry.</param>
    /// <param name="history">All tokens before the next one (prompt, generated, drafted path); the penalties read its tail.</param>
    /// <param name="generatedCount">How many tokens at the end of <paramref name="history"/> belong to the answer (for the constraint).</param>
    /// <param name="destination">Receives the probabilities; same length as <paramref name="logits"/>.</param>
    /// <exception cref="ArgumentException">Lengths differ, or no token is allowed.</exception>
    public void Process(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, int generatedCount, Span<double> destination)
    {
        AdjustLogits(logits, history, generatedCount, destination);
        if (_options.IsGreedy)
        {
            int best = IndexOfMax(destination);
            destination.Clear();
            destination[best] = 1.0;
            return;
        }

        if (_options.Temperature != 1.0)
        {
            TensorPrimitives.Divide(destination, _options.Temperature, destination);
        }

        Softmax(destination);
        Truncate(destination);
    }

    /// <summary>
    /// Writes the logits after the logit bias, the penalties and the constraint, before temperature and
    /// truncation. Their order ranks tokens even at temperature 0 (the greedy token first, ties by lowest id),
    /// which deterministic multi-draft schemes use to pick real alternatives.
    /// </summary>
    /// <param name="logits">Raw logits, one per vocabulary entry.</param>
    /// <param name="history">All tokens before the next one; the penalties read its tail.</param>
    /// <param name="generatedCount">How many tokens at the end of <paramref name="history"/> belong to the answer (for the constraint).</param>
    /// <param name="destination">Receives the adjusted logits (a forbidden token gets negative infinity); same length as <paramref name="logits"/>.</param>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public void AdjustLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, int generatedCount, Span<double> destination)
    {
        if (destination.Length != logits.Length)
        {
            throw new ArgumentException($"Destination has {destination.Length} entries but there are {logits.Length} logits.", nameof(destination));
        }

        for (int i = 0; i < logits.Length; i++)
        {
            destination[i] = logits[i];
        }

        ApplyBias(destination);
        ApplyPenalties(history, destination);
        if (_constraint is not null)
        {
            _constraint.Apply(history[^Math.Min(generatedCount, history.Length)..], destination);
        }
    }

    /// <summary>Index of the largest value; ties go to the lowest index. NaN is never chosen.</summary>
    /// <param name="values">The values.</param>
    /// <returns>The index.</returns>
    /// <exception cref="ArgumentException">No value is a number greater than negative infinity.</exception>
    public static int IndexOfMax(ReadOnlySpan<double> values)
    {
        int best = -1;
        double bestValue = double.NegativeInfinity;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] > bestValue)
            {
                bestValue = values[i];
                best = i;
            }
        }

        return best >= 0 ? best : throw new ArgumentException("No token is allowed: every logit is -infinity or NaN.", nameof(values));
    }

    /// <summary>Numerically stable softmax in place (subtracts the maximum first).</summary>
    /// <param name="values">Logits in, probabilities out.</param>
    /// <exception cref="ArgumentException">No value is finite.</exception>
    public static void Softmax(Span<double> values)
    {
        double max = values[IndexOfMax(values)];
        TensorPrimitives.Subtract(values, max, values);
        TensorPrimitives.Exp(values, values);
        double sum = TensorPrimitives.Sum<double>(values);
        TensorPrimitives.Divide(values, sum, values);
    }

    private void ApplyBias(Span<double> logits)
    {
        if (_options.LogitBias is null)
        {
            return;
        }

        foreach (var (token, bias) in _options.LogitBias)
        {
            if ((uint)token < (uint)logits.Length)
            {
                logits[token] += bias;
            }
        }
    }

    private void ApplyPenalties(ReadOnlySpan<int> history, Span<double> logits)
    {
        if (!_options.HasPenalties || _options.PenaltyWindow == 0 || history.IsEmpty)
        {
            return;
        }

        _counts.Clear();
        foreach (int token in history[^Math.Min(_options.PenaltyWindow, history.Length)..])
        {
            if ((uint)token < (uint)logits.Length)
            {
                _counts[token] = _counts.GetValueOrDefault(token) + 1;
            }
        }

        foreach (var (token, count) in _counts)
        {
            double logit = logits[token];
            logit = logit > 0 ? logit / _options.RepetitionPenalty : logit * _options.RepetitionPenalty;
            logit -= count * _options.FrequencyPenalty + _options.PresencePenalty;
            logits[token] = logit;
        }
    }

    private void Truncate(Span<double> probabilities)
    {
        int vocabulary = probabilities.Length;
        bool topK = _options.TopK > 0 && _options.TopK < vocabulary;
        bool topP = _options.TopP < 1.0;
        bool changed = false;

        if (topK || topP)
        {
            EnsureScratch(vocabulary);
            int count = topK ? SelectTopK(probabilities, _options.TopK) : SelectNucleusCandidates(probabilities, _options.TopP);
            Span<int> order = _order.AsSpan(0, count);
            Span<double> keys = _keys.AsSpan(0, count);
            for (int i = 0; i < count; i++)
            {
                keys[i] = -probabilities[order[i]];
            }

            // Stable order (ties by lowest id) keeps the kept set deterministic.
            keys.Sort(order);
            SortTiesByIndex(keys, order);

            int keep = count;
            bool reached = !topP;
            if (topP)
            {
                double cumulative = 0;
                for (int i = 0; i < count; i++)
                {
                    cumulative -= keys[i];
                    if (cumulative >= _options.TopP)
                    {
                        keep = i + 1;
                        reached = true;
                        break;
                    }
                }
            }

            if (reached || topK)
            {
                // Zero everything, then restore the kept tokens: the candidates are a small subset.
                for (int i = 0; i < keep; i++)
                {
                    keys[i] = probabilities[order[i]];
                }

                probabilities.Clear();
                for (int i = 0; i < keep; i++)
                {
                    probabilities[order[i]] = keys[i];
                }

                changed = keep < vocabulary;
            }
        }

        if (_options.MinP > 0)
        {
            double threshold = _options.MinP * TensorPrimitives.Max<double>(probabilities);
            for (int i = 0; i < vocabulary; i++)
            {
                if (probabilities[i] < threshold)
                {
                    probabilities[i] = 0;
                    changed = true;
                }
            }
        }

        if (changed)
        {
            double sum = TensorPrimitives.Sum<double>(probabilities);
            TensorPrimitives.Divide(probabilities, sum, probabilities);
        }
    }

    /// <summary>
    /// Writes into the order buffer every token that can be in the top-p nucleus and returns how many.
    /// Tokens below (1 - topP) / V hold less than 1 - topP together, so the tokens at or above that cut
    /// already reach topP and the nucleus lies among them: only they need sorting.
    /// </summary>
    private int SelectNucleusCandidates(ReadOnlySpan<double> probabilities, double topP)
    {
        double cut = (1.0 - topP) / probabilities.Length;
        int count = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            if (probabilities[i] >= cut)
            {
                _order[count++] = i;
            }
        }

        return count;
    }

    /// <summary>Writes the k most likely tokens (ties: lowest id) into the order buffer with a min-heap; O(V log k).</summary>
    private int SelectTopK(ReadOnlySpan<double> probabilities, int k)
    {
        // Heap root = the weakest kept token: lowest probability, and among equals the highest id.
        Span<int> heap = _order.AsSpan(0, k);
        for (int i = 0; i < k; i++)
        {
            heap[i] = i;
        }

        for (int i = k / 2 - 1; i >= 0; i--)
        {
            SiftDown(heap, i, probabilities);
        }

        for (int i = k; i < probabilities.Length; i++)
        {
            if (Weaker(heap[0], i, probabilities))
            {
                heap[0] = i;
                SiftDown(heap, 0, probabilities);
            }
        }

        return k;
    }

    private static bool Weaker(int a, int b, ReadOnlySpan<double> p) => p[a] < p[b] || (p[a] == p[b] && a > b);

    private static void SiftDown(Span<int> heap, int i, ReadOnlySpan<double> p)
    {
        while (true)
        {
            int left = 2 * i + 1, weakest = i;
            if (left < heap.Length && Weaker(heap[left], heap[weakest], p))
            {
                weakest = left;
            }

            if (left + 1 < heap.Length && Weaker(heap[left + 1], heap[weakest], p))
            {
                weakest = left + 1;
            }

            if (weakest == i)
            {
                return;
            }

            (heap[i], heap[weakest]) = (heap[weakest], heap[i]);
            i = weakest;
        }
    }

    private static void SortTiesByIndex(Span<double> keys, Span<int> order)
    {
        int start = 0;
        for (int i = 1; i <= keys.Length; i++)
        {
            if (i == keys.Length || keys[i] != keys[start])
            {
                if (i - start > 1)
                {
                    order[start..i].Sort();
                }

                start = i;
            }
        }
    }

    private void EnsureScratch(int vocabulary)
    {
        if (_order.Length < vocabulary)
        {
            _order = new int[vocabulary];
            _keys = new double[vocabulary];
        }
    }
}
