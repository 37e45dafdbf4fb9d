using System.Numerics.Tensors;

namespace SpecAI.Extensions.Sampling;

/// <summary>
/// Turns raw logits into the sampling distribution described by <see cref="SamplingOptions"/>, in double.
/// </summary>
/// <remarks>
/// <para>One pass over the vocabulary: the logits are read as floats (the maximum by SIMD), and each block is
/// widened to double, exponentiated and summed in cache (<see cref="SoftmaxKernel"/>). Logit bias and penalties
/// touch few tokens, so they are kept as patches applied in that pass; a constraint rewrites a dense copy.
/// Top-k / top-p / min-p leave a sparse <see cref="TokenDistribution"/> over the survivors; without truncation
/// the distribution is dense. Top-k and min-p without top-p skip the vocabulary-wide exponentials altogether
/// (<see cref="LogitSelection"/>). Greedy decoding is a one-hot distribution on the highest adjusted logit.</para>
/// <para>A NaN logit is bad input (<see cref="ArgumentException"/> naming the token); so is a logit of +infinity
/// when sampling. Holds scratch buffers: one instance per request, not thread-safe.</para>
/// </remarks>
internal sealed class LogitProcessor
{
    private readonly SamplingOptions _options;
    private readonly ITokenConstraint? _constraint;
    private readonly int[] _biasTokens;
    private readonly double[] _biasValues;
    private readonly Dictionary<int, int> _counts = new();
    private readonly Dictionary<int, double> _patch = new();
    private readonly LogitTruncation _truncation = new();
    private readonly LogitSelection _selection = new();
    private int[] _patchTokens = new int[16];
    private double[] _patchValues = new double[16];
    private double[] _adjusted = [];
    private double[] _weights = [];
    private double[] _blockMax = [];
    private TokenDistribution? _denseView;

    /// <summary>Creates a processor for the given options.</summary>
    /// <param name="options">The sampling transforms; validated here.</param>
    /// <param name="constraint">An optional constraint (grammar) applied before the softmax.</param>
    public LogitProcessor(SamplingOptions options, ITokenConstraint? constraint = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _constraint = constraint;
        var bias = options.LogitBias?.Where(kv => kv.Key >= 0).OrderBy(kv => kv.Key).ToArray() ?? [];
        _biasTokens = bias.Select(kv => kv.Key).ToArray();
        _biasValues = bias.Select(kv => kv.Value).ToArray();
    }

    /// <summary>The transforms this processor applies.</summary>
    public SamplingOptions Options => _options;

    /// <summary>Computes the sampling distribution of the next token into a dense array.</summary>
    /// <param name="logits">Raw logits, one per vocabulary entry.</param>
    /// <param name="history">All tokens before the next one (prompt, generated, drafted path); the penalties read its tail.</param>
    /// <param name="generatedCount">How many tokens at the end of <paramref name="history"/> belong to the answer (for the constraint).</param>
    /// <param name="destination">Receives the probabilities; same length as <paramref name="logits"/>.</param>
    /// <exception cref="ArgumentException">Lengths differ, a logit is NaN, or no token is allowed.</exception>
    public void Process(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, int generatedCount, Span<double> destination)
    {
        if (destination.Length != logits.Length)
        {
            throw new ArgumentException($"Destination has {destination.Length} entries but there are {logits.Length} logits.", nameof(destination));
        }

        if (_denseView is null || _denseView.VocabularySize != logits.Length)
        {
            _denseView = new TokenDistribution(Math.Max(1, logits.Length));
        }

        Process(logits, history, generatedCount, _denseView);
        _denseView.CopyTo(destination);
    }

    /// <summary>Computes the sampling distribution of the next token: sparse after truncation, dense otherwise, one-hot when greedy.</summary>
    /// <param name="logits">Raw logits, one per vocabulary entry.</param>
    /// <param name="history">All tokens before the next one; the penalties read its tail.</param>
    /// <param name="generatedCount">How many tokens at the end of <paramref name="history"/> belong to the answer (for the constraint).</param>
    /// <param name="destination">Receives the distribution; its vocabulary is the logits' length.</param>
    /// <exception cref="ArgumentException">Lengths differ, a logit is NaN (or +infinity when sampling), or no token is allowed.</exception>
    public void Process(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, int generatedCount, TokenDistribution destination)
        => Compute(logits, history, generatedCount, destination, rankOnly: false);

    /// <summary>
    /// Writes the softmax at temperature 1, untruncated, of the adjusted logits (bias, penalties, constraint): it
    /// orders tokens as the adjusted logits do, the greedy token first, which is how deterministic multi-draft
    /// schemes pick real alternatives at temperature 0.
    /// </summary>
    /// <param name="logits">Raw logits, one per vocabulary entry.</param>
    /// <param name="history">All tokens before the next one; the penalties read its tail.</param>
    /// <param name="generatedCount">How many tokens at the end of <paramref name="history"/> belong to the answer (for the constraint).</param>
    /// <param name="destination">Receives the (dense) distribution.</param>
    /// <exception cref="ArgumentException">Lengths differ, a logit is NaN or +infinity, or no token is allowed.</exception>
    public void Rank(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, int generatedCount, TokenDistribution destination)
        => Compute(logits, history, generatedCount, destination, rankOnly: true);

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

        int patches = BuildPatches(logits, history);
        TensorPrimitives.ConvertChecked(logits, destination);
        for (int i = 0; i < patches; i++)
        {
            destination[_patchTokens[i]] = _patchValues[i];
        }

        _constraint?.Apply(history[^Math.Min(generatedCount, history.Length)..], destination);
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

    private void Compute(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, int generatedCount, TokenDistribution destination, bool rankOnly)
    {
        ArgumentNullException.ThrowIfNull(destination);
        int vocabulary = logits.Length;
        if (destination.VocabularySize != vocabulary)
        {
            throw new ArgumentException($"The distribution covers {destination.VocabularySize} tokens but there are {vocabulary} logits.", nameof(destination));
        }

        ReadOnlySpan<double> adjusted = default;
        int patches = 0;
        if (_constraint is not null)
        {
            if (_adjusted.Length < vocabulary)
            {
                _adjusted = new double[vocabulary];
            }

            AdjustLogits(logits, history, generatedCount, _adjusted.AsSpan(0, vocabulary));
            adjusted = _adjusted.AsSpan(0, vocabulary);
        }
        else
        {
            patches = BuildPatches(logits, history);
        }

        var patchTokens = _patchTokens.AsSpan(0, patches);
        var patchValues = _patchValues.AsSpan(0, patches);
        // Greedy decoding needs the best token; sampling needs only the largest value (found about three times as fast
        // over raw logits), and looks for its token only to name it in an error.
        bool greedy = _options.IsGreedy && !rankOnly;
        var (best, max) = !adjusted.IsEmpty ? SoftmaxKernel.ArgMax(adjusted)
            : greedy ? SoftmaxKernel.ArgMax(logits, patchTokens, patchValues)
            : (0, SoftmaxKernel.Max(logits, patchTokens, patchValues));
        if (max == double.NegativeInfinity)
        {
            throw new ArgumentException("No token is allowed: every logit is -infinity.", nameof(logits));
        }

        if (greedy)
        {
            destination.SetOneHot(best);
            return;
        }

        if (double.IsPositiveInfinity(max))
        {
            best = adjusted.IsEmpty ? SoftmaxKernel.ArgMax(logits, patchTokens, patchValues).Index : best;
            throw new ArgumentException($"The logit of token {best} is +infinity; sampling needs finite logits.", nameof(logits));
        }

        if (!rankOnly && LogitSelection.Applies(_options, vocabulary, constrained: !adjusted.IsEmpty))
        {
            // Top-k / min-p without top-p: only the candidates are exponentiated.
            _selection.Select(_options, logits, patchTokens, patchValues, max, 1.0 / _options.Temperature, destination);
            return;
        }

        bool truncating = !rankOnly && LogitTruncation.IsActive(_options, vocabulary);
        Span<double> weights = truncating ? Scratch(ref _weights, vocabulary) : destination.BeginDense();
        Span<double> blockMax = truncating ? Scratch(ref _blockMax, SoftmaxKernel.BlockCount(vocabulary)) : default;
        double inverseTemperature = rankOnly ? 1.0 : 1.0 / _options.Temperature;
        double total = SoftmaxKernel.Exponentiate(logits, adjusted, patchTokens, patchValues, max, inverseTemperature, weights, blockMax);
        if (!truncating)
        {
            // Lazy normalisation: the weights stay as the pass wrote them, probability = weight / total.
            destination.SetTotal(total);
        }
        else if (!_truncation.TryTruncate(_options, weights, total, blockMax, destination))
        {
            weights.CopyTo(destination.BeginDense());
            destination.SetTotal(total);
        }
    }

    // Bias and penalties as (token, adjusted logit) pairs in ascending token order; returns how many.
    private int BuildPatches(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        bool penalties = _options.HasPenalties && _options.PenaltyWindow > 0 && !history.IsEmpty;
        if (_biasTokens.Length == 0 && !penalties)
        {
            return 0;
        }

        _patch.Clear();
        for (int i = 0; i < _biasTokens.Length && _biasTokens[i] < logits.Length; i++)
        {
            _patch[_biasTokens[i]] = logits[_biasTokens[i]] + _biasValues[i];
        }

        if (penalties)
        {
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
                double logit = _patch.TryGetValue(token, out double biased) ? biased : logits[token];
                logit = logit > 0 ? logit / _options.RepetitionPenalty : logit * _options.RepetitionPenalty;
                logit -= count * _options.FrequencyPenalty + _options.PresencePenalty;
                _patch[token] = logit;
            }
        }

        if (_patchTokens.Length < _patch.Count)
        {
            _patchTokens = new int[2 * _patch.Count];
            _patchValues = new double[2 * _patch.Count];
        }

        int n = 0;
        foreach (var (token, value) in _patch)
        {
            _patchTokens[n] = token;
            _patchValues[n++] = value;
        }

        _patchTokens.AsSpan(0, n).Sort(_patchValues.AsSpan(0, n));
        return n;
    }

    private static Span<double> Scratch(ref double[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new double[length];
        }

        return buffer.AsSpan(0, length);
    }
}
