using System.Numerics.Tensors;

namespace SpecAI.Extensions.Sampling;

/// <summary>
/// The vocabulary-wide passes of <see cref="LogitProcessor"/>: the maximum of the adjusted logits, and the
/// exponentials <c>w = exp((x - max) / T)</c> with their sum, block by block.
/// </summary>
/// <remarks>
/// The adjusted logits x are the raw float logits except at a few patched tokens (logit bias, penalties),
/// or a dense double array when a constraint rewrote them. Each block of <see cref="BlockSize"/> tokens is
/// widened to double, patched, shifted, scaled, exponentiated and summed while it sits in the L1 cache, so
/// the logits are read once and the weights written once (TensorPrimitives for every vector operation but exp).
/// <para>The exponentials are in float, everything around them in double: the argument <c>(x - max) / T</c> is
/// computed in double and rounded to float, <c>exp</c> runs in float (<see cref="FloatExp"/>: within one ulp of the
/// correctly rounded exponential, and the dominant vocabulary-wide cost), and the weight is widened back to double
/// (exactly), so the normaliser, the lazily normalised probabilities and every draw and verifier sum stay in double.
/// The law sampled is therefore the float softmax's, <c>p(x) = expf(t(x)) / sum_y expf(t(y))</c> with expf =
/// <see cref="FloatExp"/> (the law llama.cpp's own samplers draw from, up to their expf's last ulp): within about
/// (|t| + 1) * 2^-23 relative of the double softmax, and exact as the law of the weights this pass writes, which is
/// what the verifiers' 1e-12 enumerations hold the engine to.</para>
/// </remarks>
internal static class SoftmaxKernel
{
    /// <summary>Tokens per block: 8 KB of doubles, small enough to stay in L1 between the operations.</summary>
    public const int BlockSize = 1024;

    /// <summary>Number of blocks covering <paramref name="vocabulary"/> tokens.</summary>
    public static int BlockCount(int vocabulary) => (vocabulary + BlockSize - 1) / BlockSize;

    /// <summary>Largest adjusted logit and its lowest index; (-1, -infinity) when every logit is -infinity.</summary>
    /// <exception cref="ArgumentException">A logit is NaN (the message names the token).</exception>
    public static (int Index, double Value) ArgMax(ReadOnlySpan<float> logits, ReadOnlySpan<int> patchTokens, ReadOnlySpan<double> patchValues)
    {
        int best = -1;
        double bestValue = double.NegativeInfinity;
        int start = 0;

        // Patched tokens split the raw logits into segments; segments and patches are visited in id order, and
        // only a strictly larger value replaces the best, so ties go to the lowest id.
        for (int p = 0; p <= patchTokens.Length; p++)
        {
            int end = p < patchTokens.Length ? patchTokens[p] : logits.Length;
            if (end > start)
            {
                var segment = logits[start..end];
                int i = IndexOfMax(segment);
                float value = segment[i];
                if (float.IsNaN(value))
                {
                    throw NaN(start + i);
                }

                if (value > bestValue)
                {
                    (best, bestValue) = (start + i, value);
                }
            }

            if (p < patchTokens.Length)
            {
                double value = patchValues[p];
                if (double.IsNaN(value))
                {
                    throw NaN(patchTokens[p]);
                }

                if (value > bestValue)
                {
                    (best, bestValue) = (patchTokens[p], value);
                }

                start = end + 1;
            }
        }

        return (best, bestValue);
    }

    /// <summary>
    /// The largest adjusted logit only (negative infinity when every logit is -infinity), for sampling, which needs the
    /// value and not its index: a vectorised maximum is about three times as fast as the index search of
    /// <see cref="ArgMax(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{double})"/> over a large vocabulary.
    /// </summary>
    /// <exception cref="ArgumentException">A logit is NaN (the message names the token).</exception>
    public static double Max(ReadOnlySpan<float> logits, ReadOnlySpan<int> patchTokens, ReadOnlySpan<double> patchValues)
    {
        double best = double.NegativeInfinity;
        int start = 0;
        for (int p = 0; p <= patchTokens.Length; p++)
        {
            int end = p < patchTokens.Length ? patchTokens[p] : logits.Length;
            if (end > start)
            {
                // The vectorised maximum propagates NaN, so one test per segment catches it; the index search then names it.
                float value = TensorPrimitives.Max(logits[start..end]);
                if (float.IsNaN(value))
                {
                    ArgMax(logits, patchTokens, patchValues);
                }

                best = Math.Max(best, value);
            }

            if (p < patchTokens.Length)
            {
                double value = patchValues[p];
                if (double.IsNaN(value))
                {
                    throw NaN(patchTokens[p]);
                }

                best = Math.Max(best, value);
                start = end + 1;
            }
        }

        return best;
    }

    // The first index of the largest value (of a NaN if there is one): the vectorised maximum, then a vectorised search
    // for its bits, about twice as fast as TensorPrimitives.IndexOfMax over a large vocabulary. A zero maximum may be
    // +0 or -0 (equal values, different bits): the index search decides that tie.
    private static int IndexOfMax(ReadOnlySpan<float> values)
    {
        float max = TensorPrimitives.Max(values);
        return float.IsNaN(max) || max == 0 ? TensorPrimitives.IndexOfMax(values)
            : System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(values).IndexOf(BitConverter.SingleToInt32Bits(max));
    }

    /// <summary>As the float overload, over adjusted logits held in double.</summary>
    /// <exception cref="ArgumentException">A logit is NaN.</exception>
    public static (int Index, double Value) ArgMax(ReadOnlySpan<double> adjusted)
    {
        int i = TensorPrimitives.IndexOfMax(adjusted);
        double value = adjusted[i];
        if (double.IsNaN(value))
        {
            throw NaN(i);
        }

        return value > double.NegativeInfinity ? (i, value) : (-1, double.NegativeInfinity);
    }

    /// <summary>
    /// Writes <c>w = expf((float)((x - max) * inverseTemperature))</c> (float exponential, widened to double) for every token and returns the sum of w. When
    /// <paramref name="blockMax"/> is not empty it receives each block's largest w.
    /// </summary>
    /// <param name="logits">Raw logits (used when <paramref name="adjusted"/> is empty).</param>
    /// <param name="adjusted">Dense adjusted logits, or empty to read <paramref name="logits"/> with the patches.</param>
    /// <param name="patchTokens">Patched token ids, ascending.</param>
    /// <param name="patchValues">Their adjusted logits.</param>
    /// <param name="max">The largest adjusted logit (finite).</param>
    /// <param name="inverseTemperature">1 / T.</param>
    /// <param name="weights">Receives w; the vocabulary's length.</param>
    /// <param name="blockMax">Receives the block maxima, or empty.</param>
    /// <returns>The sum of w, in double.</returns>
    public static double Exponentiate(
        ReadOnlySpan<float> logits, ReadOnlySpan<double> adjusted, ReadOnlySpan<int> patchTokens, ReadOnlySpan<double> patchValues,
        double max, double inverseTemperature, Span<double> weights, Span<double> blockMax)
    {
        int vocabulary = weights.Length;
        double total = 0;
        int p = 0;
        Span<float> exponent = stackalloc float[BlockSize];
        float maxFloat = (float)max;
        bool floatPath = adjusted.IsEmpty && patchTokens.IsEmpty && inverseTemperature == 1.0 && maxFloat == max;
        for (int start = 0, block = 0; start < vocabulary; start += BlockSize, block++)
        {
            int n = Math.Min(BlockSize, vocabulary - start);
            var w = weights.Slice(start, n);
            if (floatPath)
            {
                // T = 1, raw logits, a float maximum: x - max in float is the double difference rounded to float (the
                // difference of two floats is exact in double unless they lie over 29 binades apart), so the float pass
                // gives the same arguments with two fewer conversions and half-width vectors, in one fused loop.
                total += FloatExp.ExpToDouble(logits.Slice(start, n), maxFloat, w);
            }
            else
            {
                Arguments(logits, adjusted, patchTokens, patchValues, ref p, start, max, inverseTemperature, w);
                ExpInFloat(w, exponent);
                total += TensorPrimitives.Sum<double>(w);
            }

            if (!blockMax.IsEmpty)
            {
                blockMax[block] = TensorPrimitives.Max<double>(w);
            }
        }

        return total;
    }

    // The arguments (x - max) / T of one block, in double, into w (p: the next patch).
    private static void Arguments(
        ReadOnlySpan<float> logits, ReadOnlySpan<double> adjusted, ReadOnlySpan<int> patchTokens, ReadOnlySpan<double> patchValues,
        ref int p, int start, double max, double inverseTemperature, Span<double> w)
    {
        int n = w.Length;
        if (adjusted.IsEmpty)
        {
            TensorPrimitives.ConvertChecked(logits.Slice(start, n), w);
            for (; p < patchTokens.Length && patchTokens[p] < start + n; p++)
            {
                w[patchTokens[p] - start] = patchValues[p];
            }
        }
        else
        {
            adjusted.Slice(start, n).CopyTo(w);
        }

        TensorPrimitives.Subtract(w, max, w);
        if (inverseTemperature != 1.0)
        {
            TensorPrimitives.Multiply(w, inverseTemperature, w);
        }
    }

    /// <summary>
    /// <c>values = (double)expf((float)values)</c>, element by element: the exponential of every sampling weight. In float
    /// (<see cref="FloatExp"/>) because it is the dominant vocabulary-wide cost and a float exp is faster than a double one; the
    /// argument is rounded to float once and the result widened back, so every sum over the weights stays in double.
    /// </summary>
    /// <param name="values">Arguments in, weights out.</param>
    /// <param name="scratch">At least <see cref="BlockSize"/> floats.</param>
    public static void ExpInFloat(Span<double> values, Span<float> scratch)
    {
        for (int start = 0; start < values.Length; start += BlockSize)
        {
            var v = values.Slice(start, Math.Min(BlockSize, values.Length - start));
            var f = scratch[..v.Length];
            TensorPrimitives.ConvertTruncating<double, float>(v, f);
            FloatExp.Exp(f, f);
            TensorPrimitives.ConvertChecked<float, double>(f, v);
        }
    }

    private static ArgumentException NaN(int token) => new($"The logit of token {token} is NaN.", "logits");
}
