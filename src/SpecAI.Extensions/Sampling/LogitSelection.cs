using System.Numerics.Tensors;

namespace SpecAI.Extensions.Sampling;

/// <summary>
/// Top-k and min-p straight from the logits, without exponentiating the vocabulary: neither needs the normaliser over
/// all tokens (the survivors are renormalised among themselves, and min-p compares each token with the most likely
/// one, whose weight <c>exp((max - max) / T)</c> is exactly 1), so only the candidates are exponentiated. Top-p
/// needs that normaliser and goes through <see cref="LogitTruncation"/>. Holds scratch buffers: one per processor.
/// </summary>
/// <remarks>
/// Candidates: the adjusted logits at or above a floor, from the blocks whose largest adjusted logit reaches it
/// (min-p: <c>max + T ln(MinP)</c>; top-k: the k-th largest of the maxima of at least k chunks, as those chunks hold
/// k tokens at least that large), lowered by 1e-9 relative so that rounding never loses a survivor. The survivors
/// are then chosen on their weights <c>exp((x - max) / T)</c> exactly as the dense rule chooses on probabilities
/// (k largest, ties to the lowest id; min-p drops weights below MinP), and renormalised.
/// </remarks>
internal sealed class LogitSelection
{
    private int[] _order = [];
    private double[] _keys = [];
    private double[] _blockMax = [];
    private double[] _chunks = [];

    /// <summary>Whether this path applies: top-k and/or min-p, no top-p, no constraint (which rewrites logits densely).</summary>
    public static bool Applies(SamplingOptions options, int vocabulary, bool constrained)
        => !constrained && options.TopP >= 1.0 && ((options.TopK > 0 && options.TopK < vocabulary) || options.MinP > 0);

    /// <summary>Writes the truncated distribution (sparse, or dense for a wide support).</summary>
    public void Select(
        SamplingOptions options, ReadOnlySpan<float> logits, ReadOnlySpan<int> patchTokens, ReadOnlySpan<double> patchValues,
        double max, double inverseTemperature, TokenDistribution destination)
    {
        int vocabulary = logits.Length;
        bool topK = options.TopK > 0 && options.TopK < vocabulary;
        var blockMax = BlockMaxima(logits, patchTokens, patchValues);
        double floor = double.NegativeInfinity;
        if (options.MinP > 0)
        {
            floor = max + Math.Log(options.MinP) / inverseTemperature;
        }

        if (topK)
        {
            floor = Math.Max(floor, KthLargestBound(logits, patchTokens, blockMax, options.TopK));
        }

        floor -= 1e-9 * (Math.Abs(floor) + 1);
        int count = Collect(logits, patchTokens, patchValues, blockMax, floor);

        // Weights of the candidates only: w = expf((x - max) / T) as in the dense pass (SoftmaxKernel), in place of their logits.
        var keys = _keys.AsSpan(0, count);
        TensorPrimitives.Subtract(keys, max, keys);
        TensorPrimitives.Multiply(keys, inverseTemperature, keys);
        SoftmaxKernel.ExpInFloat(keys, stackalloc float[SoftmaxKernel.BlockSize]);

        var order = _order.AsSpan(0, count);
        int keep = count;
        if (topK)
        {
            TensorPrimitives.Negate(keys, keys);
            keys.Sort(order);
            LogitTruncation.SortTiesByIndex(keys, order);
            TensorPrimitives.Negate(keys, keys);
            keep = Math.Min(count, options.TopK);
        }

        int kept = 0;
        for (int i = 0; i < keep; i++)
        {
            // Min-p: the most likely token has weight 1; drop weights below MinP (none when MinP = 0).
            if (keys[i] >= options.MinP && keys[i] > 0)
            {
                (order[kept], keys[kept]) = (order[i], keys[i]);
                kept++;
            }
        }

        Write(order[..kept], keys[..kept], vocabulary, destination);
    }

    private static void Write(Span<int> tokens, Span<double> weights, int vocabulary, TokenDistribution destination)
    {
        tokens.Sort(weights);
        double sum = TensorPrimitives.Sum<double>(weights);
        if (tokens.Length > vocabulary / 8)
        {
            var dense = destination.BeginDense();
            dense.Clear();
            for (int i = 0; i < tokens.Length; i++)
            {
                dense[tokens[i]] = weights[i] / sum;
            }

            return;
        }

        destination.BeginSparse(tokens.Length, out var ids, out var probabilities);
        tokens.CopyTo(ids);
        TensorPrimitives.Divide(weights, sum, probabilities);
    }

    // Each block's largest adjusted logit (patched blocks rescanned with their patches).
    private Span<double> BlockMaxima(ReadOnlySpan<float> logits, ReadOnlySpan<int> patchTokens, ReadOnlySpan<double> patchValues)
    {
        int blocks = SoftmaxKernel.BlockCount(logits.Length);
        if (_blockMax.Length < blocks)
        {
            _blockMax = new double[blocks];
        }

        var blockMax = _blockMax.AsSpan(0, blocks);
        for (int b = 0; b < blocks; b++)
        {
            int start = b * SoftmaxKernel.BlockSize;
            blockMax[b] = TensorPrimitives.Max(logits.Slice(start, Math.Min(SoftmaxKernel.BlockSize, logits.Length - start)));
        }

        for (int p = 0; p < patchTokens.Length;)
        {
            int b = patchTokens[p] / SoftmaxKernel.BlockSize;
            int start = b * SoftmaxKernel.BlockSize, end = Math.Min(logits.Length, start + SoftmaxKernel.BlockSize);
            double m = double.NegativeInfinity;
            for (int i = start, q = p; i < end; i++)
            {
                double x = q < patchTokens.Length && patchTokens[q] == i ? patchValues[q++] : logits[i];
                m = Math.Max(m, x);
            }

            blockMax[b] = m;
            while (p < patchTokens.Length && patchTokens[p] < end)
            {
                p++;
            }
        }

        return blockMax;
    }

    // Candidates (adjusted logit >= floor) in ascending id order into _order, their logits into _keys; returns how many.
    private int Collect(ReadOnlySpan<float> logits, ReadOnlySpan<int> patchTokens, ReadOnlySpan<double> patchValues, ReadOnlySpan<double> blockMax, double floor)
    {
        if (_order.Length < logits.Length)
        {
            _order = new int[logits.Length];
            _keys = new double[logits.Length];
        }

        int count = 0, p = 0;
        for (int b = 0; b < blockMax.Length; b++)
        {
            int start = b * SoftmaxKernel.BlockSize, end = Math.Min(logits.Length, start + SoftmaxKernel.BlockSize);
            bool patched = p < patchTokens.Length && patchTokens[p] < end;
            if (!(blockMax[b] >= floor))
            {
                while (p < patchTokens.Length && patchTokens[p] < end)
                {
                    p++;
                }

                continue;
            }

            for (int i = start; i < end; i++)
            {
                double x = patched && p < patchTokens.Length && patchTokens[p] == i ? patchValues[p++] : logits[i];

                // Branch-free: every index is written, and kept when it passes.
                _order[count] = i;
                _keys[count] = x;
                count += x >= floor ? 1 : 0;
            }
        }

        return count;
    }

    // A lower bound on the k-th largest adjusted logit: the k-th largest of the maxima of at least k chunks.
    private double KthLargestBound(ReadOnlySpan<float> logits, ReadOnlySpan<int> patchTokens, ReadOnlySpan<double> blockMax, int k)
    {
        if (blockMax.Length >= k)
        {
            return KthLargest(blockMax, k);
        }

        // Fewer blocks than k: finer chunks of the raw logits. A patch can lower a token below its raw value, so a
        // raw chunk maximum is not a bound there: chunks holding patches count as -infinity (fewer chunks qualify,
        // the bound only drops).
        int chunk = Math.Max(1, logits.Length / (2 * k));
        int chunks = (logits.Length + chunk - 1) / chunk;
        if (_chunks.Length < chunks)
        {
            _chunks = new double[chunks];
        }

        var maxima = _chunks.AsSpan(0, chunks);
        for (int c = 0; c < chunks; c++)
        {
            maxima[c] = TensorPrimitives.Max(logits.Slice(c * chunk, Math.Min(chunk, logits.Length - c * chunk)));
        }

        foreach (int token in patchTokens)
        {
            maxima[token / chunk] = double.NegativeInfinity;
        }

        return KthLargest(maxima, k);
    }

    private double KthLargest(ReadOnlySpan<double> values, int k)
    {
        if (_chunks.Length < values.Length)
        {
            _chunks = new double[values.Length];
        }

        var sorted = _chunks.AsSpan(0, values.Length);
        if (sorted != values)
        {
            values.CopyTo(sorted);
        }

        sorted.Sort();
        return sorted[^k];
    }
}
