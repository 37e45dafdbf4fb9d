namespace SpecAI.Extensions.Superposed;

/// <summary>
/// The k drafts of one Superposed Decoding request (Shen et al., NeurIPS 2024, arXiv:2405.18400) and their
/// bookkeeping: feed it the logits of each pass, read the superposition weights for the next input. Model-free:
/// the backend decodes the superposed embedding. LOSSY: suggestions are not samples of the target's law.
/// </summary>
/// <remarks>
/// A draft that emits a stop token is finished: it keeps its slot (and score) and leaves the superposition; the
/// other slots keep expanding. Resetting (the paper's remedy for superposition drift over long generations) is not
/// done: autocomplete suggestions are short, and every step's distribution still comes from the real KV of the
/// prompt plus the superposed positions.
/// </remarks>
internal sealed class SuperposedSearch
{
    private readonly List<int>[] _tokens;
    private readonly double[] _scores;
    private readonly double[] _modelLogProbability;
    private readonly bool[] _finished;
    private readonly int[] _prompt;
    private readonly ContextNGramModel _ngram;
    private readonly IReadOnlySet<int> _stopTokens;
    private readonly int[] _top;
    private readonly double[] _topLog;
    private readonly double[] _ngramProbabilities;
    private readonly SuperposedCandidate[] _selected;

    /// <summary>Starts a search after <paramref name="prompt"/>.</summary>
    /// <param name="prompt">The prompt tokens (also the n-gram model's context).</param>
    /// <param name="vocabularySize">Logits per position.</param>
    /// <param name="draftCount">k, the number of drafts (suggestions), at least 1 and at most the vocabulary.</param>
    /// <param name="stopTokens">Tokens that finish a draft.</param>
    /// <param name="alpha">N-gram weight in [0, 1] (0 = model only).</param>
    /// <param name="temperature">Temperature of the model's top-k distribution (> 0).</param>
    /// <param name="maxHistory">Longest n-gram history.</param>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    public SuperposedSearch(ReadOnlySpan<int> prompt, int vocabularySize, int draftCount, IReadOnlySet<int> stopTokens, double alpha = DefaultAlpha, double temperature = 1.0, int maxHistory = 4)
    {
        ArgumentNullException.ThrowIfNull(stopTokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(draftCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(draftCount, vocabularySize);
        if (!(alpha >= 0 && alpha <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in [0, 1].");
        }

        if (!(temperature > 0) || double.IsInfinity(temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Temperature must be positive and finite.");
        }

        _prompt = prompt.ToArray();
        _ngram = new ContextNGramModel(prompt, vocabularySize, maxHistory);
        _stopTokens = stopTokens;
        (Alpha, Temperature, VocabularySize) = (alpha, temperature, vocabularySize);
        _tokens = new List<int>[draftCount];
        for (int d = 0; d < draftCount; d++)
        {
            _tokens[d] = new List<int>();
        }

        _scores = new double[draftCount];
        _modelLogProbability = new double[draftCount];
        _finished = new bool[draftCount];
        _top = new int[draftCount];
        _topLog = new double[draftCount];
        _ngramProbabilities = new double[draftCount * draftCount];
        _selected = new SuperposedCandidate[draftCount];
    }

    /// <summary>
    /// Default n-gram weight. The paper tunes alpha = 0.54 against corpus n-grams; counted over the prompt alone the
    /// n-gram model is much weaker, so it only nudges the model's ranking towards the user's own words.
    /// </summary>
    public const double DefaultAlpha = 0.1;

    /// <summary>k.</summary>
    public int DraftCount => _tokens.Length;

    /// <summary>N-gram weight.</summary>
    public double Alpha { get; }

    /// <summary>Temperature of the top-k distribution.</summary>
    public double Temperature { get; }

    /// <summary>Vocabulary size.</summary>
    public int VocabularySize { get; }

    /// <summary>Passes fed so far (0 before the prompt's logits).</summary>
    public int Steps { get; private set; }

    /// <summary>Whether any draft still expands.</summary>
    public bool AnyRunning => Steps == 0 || _finished.Contains(false);

    /// <summary>The tokens of draft <paramref name="draft"/> (a stop token that finished it is not included).</summary>
    /// <param name="draft">Draft index.</param>
    /// <returns>Its tokens.</returns>
    public IReadOnlyList<int> Tokens(int draft) => _tokens[draft];

    /// <summary>The score of draft <paramref name="draft"/> (log scale).</summary>
    /// <param name="draft">Draft index.</param>
    /// <returns>Its score.</returns>
    public double Score(int draft) => _scores[draft];

    /// <summary>Sum of the model's top-k log probabilities of the draft's tokens.</summary>
    /// <param name="draft">Draft index.</param>
    /// <returns>The sum.</returns>
    public double ModelLogProbability(int draft) => _modelLogProbability[draft];

    /// <summary>Whether draft <paramref name="draft"/> ended with a stop token.</summary>
    /// <param name="draft">Draft index.</param>
    /// <returns>True when finished.</returns>
    public bool IsFinished(int draft) => _finished[draft];

    /// <summary>
    /// Advances every running draft with the logits of one pass: the prompt's last position first, then each
    /// superposed input's.
    /// </summary>
    /// <param name="logits">The pass's logits.</param>
    /// <exception cref="ArgumentException">Wrong length.</exception>
    /// <exception cref="InvalidOperationException">Every draft has finished.</exception>
    public void Step(ReadOnlySpan<float> logits)
    {
        if (logits.Length != VocabularySize)
        {
            throw new ArgumentException($"Expected {VocabularySize} logits.", nameof(logits));
        }

        if (!AnyRunning)
        {
            throw new InvalidOperationException("Every draft has finished.");
        }

        int k = DraftCount;
        SuperposedDecoding.TopTokens(logits, Temperature, _top, _topLog);
        int kept;
        if (Steps == 0)
        {
            // One draft (the prompt) expands into the top-k tokens.
            _ngram.Probabilities(_prompt, _top, _ngramProbabilities.AsSpan(0, k));
            kept = SuperposedDecoding.SelectCandidates([0.0], [true], _top, _topLog, _ngramProbabilities.AsSpan(0, k), Alpha, _selected);
        }
        else
        {
            var history = new List<int>(_prompt.Length + 64);
            for (int d = 0; d < k; d++)
            {
                if (_finished[d])
                {
                    _ngramProbabilities.AsSpan(d * k, k).Fill(1);
                    continue;
                }

                history.Clear();
                history.AddRange(_prompt.AsSpan(Math.Max(0, _prompt.Length - _ngram.MaxHistory)));
                history.AddRange(_tokens[d]);
                _ngram.Probabilities(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(history), _top, _ngramProbabilities.AsSpan(d * k, k));
            }

            int finished = _finished.Count(f => f);
            kept = SuperposedDecoding.SelectCandidates(_scores, Negate(_finished), _top, _topLog, _ngramProbabilities, Alpha, _selected.AsSpan(0, k - finished));
        }

        Commit(kept);
        Steps++;
    }

    /// <summary>Writes the superposition weights of the running drafts (finished drafts get 0).</summary>
    /// <param name="weights">One weight per draft.</param>
    /// <exception cref="InvalidOperationException">No draft is running or the search has not started.</exception>
    public void SuperpositionWeights(Span<double> weights)
    {
        if (Steps == 0 || !AnyRunning)
        {
            throw new InvalidOperationException("Superposition weights need running drafts after the first step.");
        }

        SuperposedDecoding.SuperpositionWeights(_scores, Negate(_finished), weights);
    }

    /// <summary>The latest token of a running draft (the one its embedding row represents in the next input).</summary>
    /// <param name="draft">Draft index.</param>
    /// <returns>The token.</returns>
    public int LastToken(int draft) => _tokens[draft][^1];

    /// <summary>Draft indices ordered best score first.</summary>
    /// <returns>The order.</returns>
    public int[] RankedDrafts() => Enumerable.Range(0, DraftCount).OrderByDescending(d => _scores[d]).ThenBy(d => d).ToArray();

    private static bool[] Negate(bool[] flags) => flags.Select(f => !f).ToArray();

    private void Commit(int kept)
    {
        int k = DraftCount;
        var oldTokens = _tokens.Select(t => t.ToArray()).ToArray();
        var oldModel = (double[])_modelLogProbability.Clone();
        int slot = 0;
        for (int i = 0; i < kept; i++)
        {
            while (Steps > 0 && _finished[slot])
            {
                slot++;
            }

            var candidate = _selected[i];
            var parent = Steps == 0 ? [] : oldTokens[candidate.Draft];
            double parentModel = Steps == 0 ? 0 : oldModel[candidate.Draft];
            _tokens[slot].Clear();
            _tokens[slot].AddRange(parent);
            _scores[slot] = candidate.Score;
            _modelLogProbability[slot] = parentModel + candidate.ModelLogProbability;
            if (_stopTokens.Contains(candidate.Token))
            {
                _finished[slot] = true;
            }
            else
            {
                _tokens[slot].Add(candidate.Token);
            }

            slot++;
        }
    }
}
