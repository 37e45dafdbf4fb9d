using System.Diagnostics;

namespace SpecAI.Extensions.Drafting;

/// <summary>
/// Prompt lookup decoding: drafts the tokens that followed the most recent earlier occurrence of the
/// last n-gram of the committed tokens (prompt and answer so far), trying n from
/// <see cref="MaxNgram"/> down to <see cref="MinNgram"/>. No draft model is needed.
/// </summary>
/// <remarks>
/// Saxena 2023, "Prompt Lookup Decoding" (github.com/apoorvumang/prompt-lookup-decoding); the n-gram
/// drafter of llama.cpp and vLLM. The drafts are a deterministic function of the committed tokens, so
/// their draft law is one-hot: the source rents no distributions and every lossless verifier checks them
/// with the deterministic rule (<see cref="Verification.TopKVerifier.VerifyDeterministic"/>, which for one
/// candidate is standard speculative sampling with one-hot q). One branch; the search is a backward scan,
/// O(committed tokens x n) per step.
/// </remarks>
internal sealed class PromptLookupDraftSource : IDraftSource
{
    /// <summary>Creates a lookup drafter.</summary>
    /// <param name="maxNgram">Longest n-gram to match (tried first).</param>
    /// <param name="minNgram">Shortest n-gram to match.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minNgram"/> is below 1 or above <paramref name="maxNgram"/>.</exception>
    public PromptLookupDraftSource(int maxNgram = 3, int minNgram = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minNgram, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNgram, minNgram);
        MaxNgram = maxNgram;
        MinNgram = minNgram;
    }

    /// <summary>Longest n-gram matched.</summary>
    public int MaxNgram { get; }

    /// <summary>Shortest n-gram matched.</summary>
    public int MinNgram { get; }

    /// <summary>
    /// Finds the continuation of the most recent earlier match of the last n-gram of <paramref name="tokens"/>,
    /// n from <paramref name="maxNgram"/> down to <paramref name="minNgram"/>.
    /// </summary>
    /// <param name="tokens">The committed tokens.</param>
    /// <param name="maxNgram">Longest n-gram.</param>
    /// <param name="minNgram">Shortest n-gram.</param>
    /// <param name="maxLength">Most tokens to propose.</param>
    /// <param name="start">Receives the index in <paramref name="tokens"/> where the continuation starts (-1 when none).</param>
    /// <returns>Length of the continuation (0 when nothing matched).</returns>
    public static int FindContinuation(ReadOnlySpan<int> tokens, int maxNgram, int minNgram, int maxLength, out int start)
    {
        start = -1;
        if (maxLength <= 0)
        {
            return 0;
        }

        for (int n = Math.Min(maxNgram, tokens.Length - 1); n >= Math.Max(1, minNgram); n--)
        {
            ReadOnlySpan<int> suffix = tokens[^n..];

            // The most recent earlier occurrence ends before the last token, so something follows it.
            for (int j = tokens.Length - n - 1; j >= 0; j--)
            {
                if (tokens.Slice(j, n).SequenceEqual(suffix))
                {
                    start = j + n;
                    return Math.Min(maxLength, tokens.Length - start);
                }
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
        var tokens = request.CommittedSpan;
        int length = FindContinuation(tokens, MaxNgram, MinNgram, draftLength, out int start);
        for (int i = 0; i < length; i++)
        {
            tree.Extend(0, tokens[start + i]);
        }

        request.Statistics.RecordDraftOverhead(Stopwatch.GetElapsedTime(started));
    }

    /// <inheritdoc />
    public void Commit(int winnerBranch, int pathLength, ReadOnlySpan<int> committed)
    {
    }

    /// <inheritdoc />
    public void Reset()
    {
    }
}
