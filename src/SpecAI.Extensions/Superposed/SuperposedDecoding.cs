namespace SpecAI.Extensions.Superposed;

/// <summary>
/// The pure rules of Superposed Decoding (Shen et al., NeurIPS 2024, arXiv:2405.18400): k drafts share ONE
/// forward pass whose input is the superposition of their latest token embeddings; the pass's next-token
/// distribution p expands every draft by the top-k tokens of p (k^2 candidates), and the k best candidates under
/// the interpolated score survive. LOSSY by design: the drafts are not samples of the target's law.
/// </summary>
/// <remarks>
/// <para>Score of draft d extended by token t (the paper's "geometric" n-gram smoothing, its Eq. for the draft
/// probability): <c>s(d t) = s(d) + (1 - alpha) log p~(t) + alpha log q_d(t)</c>, where p~ is p restricted to its
/// top-k tokens and renormalised, and q_d the n-gram model's probability of t after d (our
/// <see cref="ContextNGramModel"/> is strictly positive, so the paper's penalty for drafts without any n-gram
/// match is not needed). The first step has one draft (the prompt) and keeps the top-k tokens.</para>
/// <para>Superposition weights (the paper's mixing by draft probability): <c>gamma_d = exp(s(d)) / sum_e exp(s(e))</c>
/// over the drafts still running; the next input is <c>sum_d gamma_d E[last token of d]</c>. Embedding lookup is
/// linear, so weighting per draft equals the paper's per-token mixing matrix.</para>
/// <para>Ties: higher score first, then lower draft index, then the token p ranks higher (lower rank index).</para>
/// </remarks>
internal static class SuperposedDecoding
{
    /// <summary>
    /// Writes the <paramref name="tokens"/>.Length highest logits' token ids (descending; ties to the lower id)
    /// and their log probabilities under the softmax restricted to those tokens at <paramref name="temperature"/>.
    /// </summary>
    /// <param name="logits">The model's logits.</param>
    /// <param name="temperature">Temperature (> 0).</param>
    /// <param name="tokens">Receives the top token ids; its length is k (at most the vocabulary).</param>
    /// <param name="logProbabilities">Receives <c>log p~(t)</c> per top token.</param>
    /// <exception cref="ArgumentException">Lengths disagree or exceed the vocabulary, or the temperature is not positive.</exception>
    public static void TopTokens(ReadOnlySpan<float> logits, double temperature, Span<int> tokens, Span<double> logProbabilities)
    {
        int k = tokens.Length;
        if (k == 0 || k > logits.Length || logProbabilities.Length != k)
        {
            throw new ArgumentException("Need 1 <= k <= vocabulary and one log probability per token.", nameof(tokens));
        }

        if (!(temperature > 0) || double.IsInfinity(temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Temperature must be positive and finite.");
        }

        // Insertion into a sorted k-list: k is small (suggestions), the vocabulary large.
        int count = 0;
        for (int t = 0; t < logits.Length; t++)
        {
            float value = logits[t];
            if (float.IsNaN(value))
            {
                continue;
            }

            if (count == k && !(value > logits[tokens[k - 1]]))
            {
                continue;
            }

            int at = count < k ? count++ : k - 1;
            while (at > 0 && value > logits[tokens[at - 1]])
            {
                tokens[at] = tokens[at - 1];
                at--;
            }

            tokens[at] = t;
        }

        if (count < k)
        {
            throw new ArgumentException("Fewer than k logits are numbers.", nameof(logits));
        }

        double max = logits[tokens[0]] / temperature;
        double sum = 0;
        for (int i = 0; i < k; i++)
        {
            sum += Math.Exp(logits[tokens[i]] / temperature - max);
        }

        double logSum = max + Math.Log(sum);
        for (int i = 0; i < k; i++)
        {
            logProbabilities[i] = logits[tokens[i]] / temperature - logSum;
        }
    }

    /// <summary>Superposition weights <c>gamma_d = softmax(scores)_d</c> over the running drafts (finished ones get 0).</summary>
    /// <param name="scores">Each draft's score (log scale).</param>
    /// <param name="running">Whether each draft still runs.</param>
    /// <param name="weights">Receives the weights; they sum to 1 over running drafts.</param>
    /// <exception cref="ArgumentException">Lengths disagree or no draft runs.</exception>
    public static void SuperpositionWeights(ReadOnlySpan<double> scores, ReadOnlySpan<bool> running, Span<double> weights)
    {
        if (running.Length != scores.Length || weights.Length != scores.Length)
        {
            throw new ArgumentException("One running flag and one weight per score.", nameof(weights));
        }

        double max = double.NegativeInfinity;
        for (int d = 0; d < scores.Length; d++)
        {
            if (running[d])
            {
                max = Math.Max(max, scores[d]);
            }
        }

        if (double.IsNegativeInfinity(max))
        {
            throw new ArgumentException("No draft is running.", nameof(running));
        }

        double sum = 0;
        for (int d = 0; d < scores.Length; d++)
        {
            weights[d] = running[d] ? Math.Exp(scores[d] - max) : 0;
            sum += weights[d];
        }

        for (int d = 0; d < scores.Length; d++)
        {
            weights[d] /= sum;
        }
    }

    /// <summary>Score of draft d extended by a token: <c>s(d) + (1 - alpha) log p~(t) + alpha log q_d(t)</c>.</summary>
    /// <param name="draftScore">s(d).</param>
    /// <param name="modelLogProbability">log p~(t).</param>
    /// <param name="ngramProbability">q_d(t) (> 0).</param>
    /// <param name="alpha">N-gram weight in [0, 1].</param>
    /// <returns>The candidate's score.</returns>
    public static double CandidateScore(double draftScore, double modelLogProbability, double ngramProbability, double alpha)
        => draftScore + (1 - alpha) * modelLogProbability + (alpha == 0 ? 0 : alpha * Math.Log(ngramProbability));

    /// <summary>
    /// Keeps the <paramref name="selected"/>.Length best of the k^2 candidates (every running draft times every top
    /// token), ordered best first.
    /// </summary>
    /// <param name="draftScores">s(d) per draft.</param>
    /// <param name="running">Which drafts expand (finished drafts contribute no candidate).</param>
    /// <param name="topTokens">The top-k tokens of p.</param>
    /// <param name="topLogProbabilities">log p~ of each top token.</param>
    /// <param name="ngramProbabilities">q_d(t) row-major: draft d, top token j at <c>d * k + j</c>.</param>
    /// <param name="alpha">N-gram weight in [0, 1].</param>
    /// <param name="selected">Receives the kept candidates; fewer are written when fewer exist.</param>
    /// <returns>How many were written.</returns>
    /// <exception cref="ArgumentException">Lengths disagree or alpha is outside [0, 1].</exception>
    public static int SelectCandidates(
        ReadOnlySpan<double> draftScores,
        ReadOnlySpan<bool> running,
        ReadOnlySpan<int> topTokens,
        ReadOnlySpan<double> topLogProbabilities,
        ReadOnlySpan<double> ngramProbabilities,
        double alpha,
        Span<SuperposedCandidate> selected)
    {
        int drafts = draftScores.Length;
        int k = topTokens.Length;
        if (running.Length != drafts || topLogProbabilities.Length != k || ngramProbabilities.Length != drafts * k)
        {
            throw new ArgumentException("One flag per draft, one log probability per top token and one n-gram probability per (draft, token).", nameof(ngramProbabilities));
        }

        if (!(alpha >= 0 && alpha <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in [0, 1].");
        }

        int count = 0;
        if (selected.IsEmpty)
        {
            return 0;
        }

        for (int d = 0; d < drafts; d++)
        {
            if (!running[d])
            {
                continue;
            }

            for (int j = 0; j < k; j++)
            {
                var candidate = new SuperposedCandidate(d, topTokens[j], CandidateScore(draftScores[d], topLogProbabilities[j], ngramProbabilities[(d * k) + j], alpha), topLogProbabilities[j]);

                // Enumeration order is (draft, rank), so strictly-greater insertion keeps the stated tie order.
                if (count == selected.Length && !(candidate.Score > selected[count - 1].Score))
                {
                    continue;
                }

                int at = count < selected.Length ? count++ : count - 1;
                while (at > 0 && candidate.Score > selected[at - 1].Score)
                {
                    selected[at] = selected[at - 1];
                    at--;
                }

                selected[at] = candidate;
            }
        }

        return count;
    }
}
