using System.Numerics.Tensors;

namespace SpecAI.Extensions.Sampling;

/// <summary>
/// Top-k, top-p and min-p over the exponentiated logits <c>w</c> (sum <c>total</c>), writing the surviving
/// support as a sparse <see cref="TokenDistribution"/>. Holds scratch buffers: one per processor.
/// </summary>
/// <remarks>
/// <para>Semantics (those of the dense implementation): top-k keeps the k most likely tokens (ties: lowest id);
/// top-p keeps the shortest prefix of those, in that order, whose probability <c>w / total</c> reaches p; min-p
/// then drops tokens below MinP times the most likely token's probability; the rest is renormalised. When
/// nothing is dropped the caller keeps the dense distribution.</para>
/// <para>Only candidates are examined: a lower bound on every kept weight is found first, and a block whose
/// largest weight is below it is skipped (min-p's threshold; for top-k the k-th largest of the maxima of k or
/// more chunks, since those chunks hold k tokens at least that large; for top-p alone the cut
/// <c>(1 - p) / V</c>, as tokens below it hold less than 1 - p together). Bounds are lowered by 1e-9 relative
/// so that rounding never loses a token the rule keeps. Top-k sorts its few candidates; top-p alone finds the
/// nucleus by a weighted quickselect (expected linear time; its mass is summed in partition order, not in
/// sorted order, which can only matter when the cumulative mass lands within rounding of p).</para>
/// </remarks>
internal sealed class LogitTruncation
{
    private const double Slack = 1 - 1e-9;
    private int[] _order = [];
    private double[] _keys = [];
    private double[] _chunks = [];

    /// <summary>Whether the options truncate at all at this vocabulary size.</summary>
    public static bool IsActive(SamplingOptions options, int vocabulary)
        => (options.TopK > 0 && options.TopK < vocabulary) || options.TopP < 1.0 || options.MinP > 0;

    /// <summary>Applies the truncation; returns false (destination untouched) when every token is kept.</summary>
    public bool TryTruncate(SamplingOptions options, ReadOnlySpan<double> w, double total, ReadOnlySpan<double> blockMax, TokenDistribution destination)
    {
        int vocabulary = w.Length;
        bool topK = options.TopK > 0 && options.TopK < vocabulary;
        bool topP = options.TopP < 1.0;
        double wMax = TensorPrimitives.Max(blockMax);
        double minPFloor = options.MinP > 0 ? options.MinP * wMax * Slack : 0;
        int keep;
        if (topK)
        {
            int count = Collect(w, blockMax, Math.Max(minPFloor, KthLargestBound(w, blockMax, options.TopK) * Slack));
            keep = TopK(w, total, count, options.TopK, topP ? options.TopP : 1.0);
        }
        else
        {
            int count = Collect(w, blockMax, topP ? Math.Max(minPFloor, (1.0 - options.TopP) / vocabulary * total * Slack) : minPFloor);
            keep = topP ? Nucleus(w, total, count, options.TopP) : count;
            if (keep < 0)
            {
                // The nucleus was not reached (rounding): as in the dense rule, top-p then changes nothing.
                keep = Collect(w, blockMax, minPFloor);
            }
        }

        if (options.MinP > 0)
        {
            // Dense rule: drop p < MinP * max p, with p = w / total.
            double threshold = options.MinP * (wMax / total);
            int kept = 0;
            for (int i = 0; i < keep; i++)
            {
                if (w[_order[i]] / total >= threshold)
                {
                    _order[kept++] = _order[i];
                }
            }

            keep = kept;
        }

        return keep < vocabulary && Write(w, total, _order.AsSpan(0, keep), destination);
    }

    // The survivors (ascending ids), renormalised: sparse, or dense when the support is a large part of the vocabulary.
    private static bool Write(ReadOnlySpan<double> w, double total, ReadOnlySpan<int> survivors, TokenDistribution destination)
    {
        double sum = 0;
        foreach (int token in survivors)
        {
            sum += w[token] / total;
        }

        if (survivors.Length > w.Length / 8)
        {
            var dense = destination.BeginDense();
            dense.Clear();
            foreach (int token in survivors)
            {
                dense[token] = w[token] / total / sum;
            }

            return true;
        }

        destination.BeginSparse(survivors.Length, out var tokens, out var probabilities);
        for (int i = 0; i < survivors.Length; i++)
        {
            tokens[i] = survivors[i];
            probabilities[i] = w[survivors[i]] / total / sum;
        }

        return true;
    }

    // The tokens of positive weight at or above floor, in ascending id order, into _order; returns how many.
    private int Collect(ReadOnlySpan<double> w, ReadOnlySpan<double> blockMax, double floor)
    {
        if (_order.Length < w.Length)
        {
            _order = new int[w.Length];
            _keys = new double[w.Length];
        }

        int count = 0;
        for (int block = 0; block < blockMax.Length; block++)
        {
            if (!(blockMax[block] >= floor) || blockMax[block] <= 0)
            {
                continue;
            }

            // Branch-free: every index is written, and kept when it passes (flat distributions keep ~half at random).
            int end = Math.Min(w.Length, (block + 1) * SoftmaxKernel.BlockSize);
            for (int i = block * SoftmaxKernel.BlockSize; i < end; i++)
            {
                _order[count] = i;
                count += (w[i] >= floor) & (w[i] > 0) ? 1 : 0;
            }
        }

        return count;
    }

    // Top-k (then top-p within it) over few candidates: sort by (w desc, id asc), keep a prefix, back to id order.
    private int TopK(ReadOnlySpan<double> w, double total, int count, int k, double topP)
    {
        var order = _order.AsSpan(0, count);
        var keys = _keys.AsSpan(0, count);
        for (int i = 0; i < count; i++)
        {
            keys[i] = -w[order[i]];
        }

        keys.Sort(order);
        SortTiesByIndex(keys, order);
        int keep = Math.Min(count, k);
        double cumulative = 0;
        for (int i = 0; i < keep && topP < 1.0; i++)
        {
            cumulative += w[order[i]] / total;
            if (cumulative >= topP)
            {
                keep = i + 1;
                break;
            }
        }

        order[..keep].Sort();
        return keep;
    }

    // The shortest (w desc, id asc) prefix of the candidates whose probability reaches topP, left in _order in
    // ascending id order; -1 when the candidates do not reach it. Weighted quickselect on a copy of the weights.
    private int Nucleus(ReadOnlySpan<double> w, double total, int count, double topP)
    {
        var keys = _keys.AsSpan(0, count);
        for (int i = 0; i < count; i++)
        {
            keys[i] = w[_order[i]];
        }

        double above = 0, threshold = double.NaN;
        int ties = 0;
        int lo = 0, hi = count;
        while (lo < hi && double.IsNaN(threshold))
        {
            double pivot = MedianOfThree(keys[lo], keys[lo + (hi - lo) / 2], keys[hi - 1]);
            var (greater, equal) = Partition(keys, lo, hi, pivot);
            double mass = above + TensorPrimitives.Sum<double>(keys[lo..greater]);
            if (greater > lo && mass / total >= topP)
            {
                hi = greater;
                continue;
            }

            // Ties at the pivot join in id order, one at a time.
            for (int t = 1; t <= equal - greater; t++)
            {
                mass += pivot;
                if (mass / total >= topP)
                {
                    (threshold, ties) = (pivot, t);
                    break;
                }
            }

            above = mass;
            lo = equal;
        }

        if (double.IsNaN(threshold))
        {
            return -1;
        }

        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            double v = w[_order[i]];
            if (v > threshold || (v == threshold && ties-- > 0))
            {
                _order[kept++] = _order[i];
            }
        }

        return kept;
    }

    // Three-way partition of keys[lo, hi) into (> pivot, == pivot, < pivot); returns where the second and third parts start.
    private static (int Greater, int Equal) Partition(Span<double> keys, int lo, int hi, double pivot)
    {
        int lt = lo, i = lo, gt = hi;
        while (i < gt)
        {
            double v = keys[i];
            if (v > pivot)
            {
                (keys[lt], keys[i]) = (keys[i], keys[lt]);
                lt++;
                i++;
            }
            else if (v < pivot)
            {
                gt--;
                (keys[gt], keys[i]) = (keys[i], keys[gt]);
            }
            else
            {
                i++;
            }
        }

        return (lt, gt);
    }

    private static double MedianOfThree(double a, double b, double c) => Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));

    // A lower bound on the k-th largest weight: the k-th largest of the maxima of at least k chunks.
    private double KthLargestBound(ReadOnlySpan<double> w, ReadOnlySpan<double> blockMax, int k)
    {
        int chunk = blockMax.Length >= k ? SoftmaxKernel.BlockSize : Math.Max(1, w.Length / (2 * k));
        int chunks = (w.Length + chunk - 1) / chunk;
        if (_chunks.Length < chunks)
        {
            _chunks = new double[chunks];
        }

        var maxima = _chunks.AsSpan(0, chunks);
        if (chunk == SoftmaxKernel.BlockSize)
        {
            blockMax.CopyTo(maxima);
        }
        else
        {
            for (int c = 0; c < chunks; c++)
            {
                maxima[c] = TensorPrimitives.Max(w.Slice(c * chunk, Math.Min(chunk, w.Length - c * chunk)));
            }
        }

        maxima.Sort();
        return maxima[^k];
    }

    // After a sort by key: equal keys ordered by token id, so ties resolve the same way on every path.
    internal static void SortTiesByIndex(Span<double> keys, Span<int> order)
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
}
