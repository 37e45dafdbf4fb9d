namespace SpecAI.Extensions.Superposed;

/// <summary>
/// An interpolated n-gram model counted over the request's own context (the prompt): the coherence filter of
/// Superposed Decoding without a corpus. Strictly positive: every token of the vocabulary has probability.
/// </summary>
/// <remarks>
/// <para>Shen et al., "Superposed Decoding: Multiple Generations from a Single Autoregressive Inference Pass",
/// NeurIPS 2024 (arXiv:2405.18400), score each draft's next token by interpolating the model's log probability
/// with an n-gram model's (their n-grams come from a large corpus; we have none to ship, so we count the
/// context, which is what keeps a suggestion on the user's own words).</para>
/// <para>Jelinek-Mercer recursion: <c>P_0(t) = (c(t) + 1) / (L + V)</c> (add-one unigram over the context of
/// length L, vocabulary V); for a history h of length n = 1 .. <see cref="MaxHistory"/>,
/// <c>P_n(t | h) = lambda c(h t) / c(h) + (1 - lambda) P_{n-1}(t | h')</c> where h' drops h's oldest token, and
/// <c>P_n = P_{n-1}</c> when the context never shows h followed by anything. Counting scans the context (no
/// hashing, so exact); a lookup costs O(L * MaxHistory).</para>
/// </remarks>
internal sealed class ContextNGramModel
{
    private readonly int[] _context;
    private readonly int[] _unigram;

    /// <summary>Counts the context.</summary>
    /// <param name="context">Tokens to count (copied).</param>
    /// <param name="vocabularySize">Vocabulary size V (tokens are in [0, V)).</param>
    /// <param name="maxHistory">Longest history n (an (n+1)-gram); 0 keeps only the unigram.</param>
    /// <param name="lambda">Weight of each order's maximum-likelihood estimate against the lower orders, in (0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or weight is out of range, or a token is outside the vocabulary.</exception>
    public ContextNGramModel(ReadOnlySpan<int> context, int vocabularySize, int maxHistory = 4, double lambda = 0.5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHistory);
        if (!(lambda > 0 && lambda < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "lambda must be in (0, 1).");
        }

        _context = context.ToArray();
        _unigram = new int[vocabularySize];
        foreach (int token in _context)
        {
            if ((uint)token >= (uint)vocabularySize)
            {
                throw new ArgumentOutOfRangeException(nameof(context), token, $"Token outside the vocabulary of {vocabularySize}.");
            }

            _unigram[token]++;
        }

        VocabularySize = vocabularySize;
        MaxHistory = maxHistory;
        Lambda = lambda;
    }

    /// <summary>Vocabulary size V.</summary>
    public int VocabularySize { get; }

    /// <summary>Longest history used.</summary>
    public int MaxHistory { get; }

    /// <summary>Interpolation weight of each order.</summary>
    public double Lambda { get; }

    /// <summary>
    /// Writes <c>P(t | history)</c> for each of <paramref name="tokens"/> into <paramref name="destination"/>.
    /// </summary>
    /// <param name="history">The tokens before the next one (prompt and draft); only the last <see cref="MaxHistory"/> matter.</param>
    /// <param name="tokens">Candidate next tokens.</param>
    /// <param name="destination">Receives one probability per candidate.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="tokens"/>.</exception>
    public void Probabilities(ReadOnlySpan<int> history, ReadOnlySpan<int> tokens, Span<double> destination)
    {
        if (destination.Length < tokens.Length)
        {
            throw new ArgumentException("destination is shorter than tokens.", nameof(destination));
        }

        for (int i = 0; i < tokens.Length; i++)
        {
            destination[i] = (_unigram[tokens[i]] + 1.0) / (_context.Length + (double)VocabularySize);
        }

        int orders = Math.Min(MaxHistory, history.Length);
        Span<int> hits = tokens.Length <= 64 ? stackalloc int[tokens.Length] : new int[tokens.Length];
        for (int n = 1; n <= orders; n++)
        {
            var h = history[^n..];
            int total = CountFollowers(h, tokens, hits);
            if (total == 0)
            {
                // A longer history cannot occur either: every later order would be skipped the same way.
                break;
            }

            for (int i = 0; i < tokens.Length; i++)
            {
                destination[i] = Lambda * hits[i] / total + (1 - Lambda) * destination[i];
            }
        }
    }

    /// <summary>Probability of one token (<see cref="Probabilities"/> for a single candidate).</summary>
    /// <param name="history">The tokens before it.</param>
    /// <param name="token">The token.</param>
    /// <returns>Its probability.</returns>
    public double Probability(ReadOnlySpan<int> history, int token)
    {
        Span<double> p = stackalloc double[1];
        Probabilities(history, [token], p);
        return p[0];
    }

    /// <summary>Counts the context positions that follow <paramref name="h"/> (c(h), with a next token) and, per candidate, c(h t).</summary>
    private int CountFollowers(ReadOnlySpan<int> h, ReadOnlySpan<int> tokens, Span<int> hits)
    {
        hits.Clear();
        int total = 0;
        var context = _context.AsSpan();
        for (int end = h.Length; end < context.Length; end++)
        {
            if (!context.Slice(end - h.Length, h.Length).SequenceEqual(h))
            {
                continue;
            }

            total++;
            int next = context[end];
            for (int i = 0; i < tokens.Length; i++)
            {
                if (tokens[i] == next)
                {
                    hits[i]++;
                }
            }
        }

        return total;
    }
}
