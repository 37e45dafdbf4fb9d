using System.Diagnostics;

namespace SpecAI.Extensions.Drafting;

/// <summary>
/// Predicted outputs: drafts from a text the caller expects the answer to resemble (a file being edited,
/// a previous answer), given as target tokens. The answer is unchanged; only fewer target calls are needed
/// where it follows the prediction.
/// </summary>
/// <remarks>
/// OpenAI's "Predicted Outputs" (<c>prediction: {"type": "content"}</c>), done as prompt lookup decoding
/// (Saxena 2023) over the prediction instead of the prompt. At the start of the answer the prediction's
/// first tokens are drafted. Later the last n generated tokens (n from <see cref="MaxNgram"/> down to
/// <see cref="MinNgram"/>) are looked up in the prediction, first forward from where the previous draft
/// continued (an answer moves through its prediction) and then backward, and the tokens that follow the
/// match are drafted. Optionally, when the prediction has no match, the committed tokens (prompt and answer)
/// are searched as in <see cref="PromptLookupDraftSource"/>. The drafts are a deterministic function of the
/// committed tokens: their law is one-hot, no distribution is rented, and every lossless verifier checks
/// them with the deterministic rule, so the answer keeps the target's law exactly. One branch; one state per
/// generation (create a new source per request).
/// </remarks>
internal sealed class PredictionDraftSource : IDraftSource
{
    private readonly int[] _predicted;
    private int _cursor;

    /// <summary>Creates a drafter over predicted tokens.</summary>
    /// <param name="predictedTokens">The prediction, tokenized with the target's tokenizer.</param>
    /// <param name="maxNgram">Longest n-gram of the answer matched in the prediction (tried first).</param>
    /// <param name="minNgram">Shortest n-gram matched.</param>
    /// <param name="lookupInCommitted">When the prediction has no match, draft by prompt lookup over the committed tokens.</param>
    /// <exception cref="ArgumentNullException"><paramref name="predictedTokens"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minNgram"/> is below 1 or above <paramref name="maxNgram"/>, or a token is negative.</exception>
    public PredictionDraftSource(IReadOnlyList<int> predictedTokens, int maxNgram = 3, int minNgram = 1, bool lookupInCommitted = false)
    {
        ArgumentNullException.ThrowIfNull(predictedTokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(minNgram, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNgram, minNgram);
        _predicted = predictedTokens.ToArray();
        if (Array.FindIndex(_predicted, t => t < 0) is int bad and >= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(predictedTokens), _predicted[bad], $"Predicted token {bad} is negative.");
        }

        MaxNgram = maxNgram;
        MinNgram = minNgram;
        LookupInCommitted = lookupInCommitted;
    }

    /// <summary>The predicted tokens.</summary>
    public IReadOnlyList<int> PredictedTokens => _predicted;

    /// <summary>Longest n-gram matched.</summary>
    public int MaxNgram { get; }

    /// <summary>Shortest n-gram matched.</summary>
    public int MinNgram { get; }

    /// <summary>Whether the committed tokens are searched when the prediction has no match.</summary>
    public bool LookupInCommitted { get; }

    /// <summary>
    /// Where in <paramref name="predicted"/> the answer <paramref name="generated"/> continues: index 0 for an
    /// empty answer, else just after a match of the answer's last n tokens, the first match at or after
    /// <paramref name="cursor"/> - n, else the nearest one before it.
    /// </summary>
    /// <param name="predicted">The prediction.</param>
    /// <param name="generated">The answer so far.</param>
    /// <param name="cursor">Where the previous draft continued (0 at the start).</param>
    /// <param name="maxNgram">Longest n-gram.</param>
    /// <param name="minNgram">Shortest n-gram.</param>
    /// <param name="maxLength">Most tokens to propose.</param>
    /// <param name="start">Receives the index in <paramref name="predicted"/> where the continuation starts (-1 when none).</param>
    /// <returns>Length of the continuation (0 when nothing matched).</returns>
    public static int FindContinuation(ReadOnlySpan<int> predicted, ReadOnlySpan<int> generated, int cursor, int maxNgram, int minNgram, int maxLength, out int start)
    {
        start = -1;
        if (maxLength <= 0 || predicted.IsEmpty)
        {
            return 0;
        }

        if (generated.IsEmpty)
        {
            start = 0;
            return Math.Min(maxLength, predicted.Length);
        }

        for (int n = Math.Min(maxNgram, generated.Length); n >= Math.Max(1, minNgram); n--)
        {
            ReadOnlySpan<int> suffix = generated[^n..];

            // A match must leave something to draft after it: it starts at most at predicted.Length - n - 1.
            int last = predicted.Length - n - 1;
            int from = Math.Clamp(cursor - n, 0, Math.Max(0, last));
            int j = Find(predicted, suffix, from, last, forward: true);
            if (j < 0)
            {
                j = Find(predicted, suffix, from - 1, 0, forward: false);
            }

            if (j >= 0)
            {
                start = j + n;
                return Math.Min(maxLength, predicted.Length - start);
            }
        }

        return 0;
    }

    /// <inheritdoc />
    public void Draft(DraftRequest request, DraftTree tree, int draftLength)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(tree);
        long started = Stopwatch.GetTimestamp();
        var committed = request.CommittedSpan;
        var generated = committed[^Math.Min(request.GeneratedCount, committed.Length)..];
        int length = FindContinuation(_predicted, generated, _cursor, MaxNgram, MinNgram, draftLength, out int start);
        ReadOnlySpan<int> source = _predicted;
        if (length > 0)
        {
            _cursor = start;
        }
        else if (LookupInCommitted)
        {
            length = PromptLookupDraftSource.FindContinuation(committed, MaxNgram, MinNgram, draftLength, out start);
            source = committed;
        }

        for (int i = 0; i < length; i++)
        {
            tree.Extend(0, source[start + i]);
        }

        request.Statistics.RecordDraftOverhead(Stopwatch.GetElapsedTime(started));
    }

    /// <inheritdoc />
    public void Commit(int winnerBranch, int pathLength, ReadOnlySpan<int> committed)
    {
    }

    /// <inheritdoc />
    public void Reset() => _cursor = 0;

    private static int Find(ReadOnlySpan<int> predicted, ReadOnlySpan<int> ngram, int from, int to, bool forward)
    {
        if (forward)
        {
            for (int j = Math.Max(0, from); j <= to; j++)
            {
                if (predicted.Slice(j, ngram.Length).SequenceEqual(ngram))
                {
                    return j;
                }
            }
        }
        else
        {
            for (int j = Math.Min(from, predicted.Length - ngram.Length - 1); j >= to; j--)
            {
                if (predicted.Slice(j, ngram.Length).SequenceEqual(ngram))
                {
                    return j;
                }
            }
        }

        return -1;
    }
}
