namespace SpecAI.Extensions.Sampling;

/// <summary>
/// A probability distribution over a vocabulary, in double, stored densely (one weight per token id) or sparsely
/// (the tokens that survived top-k / top-p / min-p, in ascending id order, with their probabilities).
/// </summary>
/// <remarks>
/// <para>Entries are addressed by position: dense, position = token id; sparse, position i holds token
/// <see cref="TokenAt"/>(i). <see cref="Weights"/> is aligned with the positions, so a categorical draw over it
/// followed by <see cref="TokenAt"/> samples a token in double precision over the (small) support.</para>
/// <para>Lazy normalisation: the probability of entry i is <c>Weights[i] * Scale</c>. A dense distribution written
/// by <see cref="LogitProcessor"/> keeps the exponentials as they came out of its one pass and
/// <c>Scale = 1 / sum</c>, which saves a read and a write of the whole vocabulary per distribution; sparse
/// distributions are normalised (<c>Scale = 1</c>). Verifiers receive both (<see cref="Verification.VerificationNode.TargetScale"/>).</para>
/// <para>Reused: an instance holds one distribution at a time and a writer overwrites it; storage grows once
/// and is kept (the dense array only when a dense distribution is written). Not thread-safe.</para>
/// </remarks>
internal sealed class TokenDistribution
{
    private double[] _dense = [];
    private int[] _tokens = [];
    private double[] _sparse = [];
    private int _count;

    /// <summary>Creates an empty distribution (no entries until written) over <paramref name="vocabularySize"/> tokens.</summary>
    /// <param name="vocabularySize">Number of token ids, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabularySize"/> is below 1.</exception>
    public TokenDistribution(int vocabularySize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        VocabularySize = vocabularySize;
        IsSparse = true;
    }

    /// <summary>Number of token ids.</summary>
    public int VocabularySize { get; }

    /// <summary>Whether the entries are a support (ascending token ids) rather than the whole vocabulary.</summary>
    public bool IsSparse { get; private set; }

    /// <summary>Number of entries: the vocabulary's size when dense, the support's size when sparse.</summary>
    public int Count => IsSparse ? _count : VocabularySize;

    /// <summary>The token ids of the entries in ascending order when sparse; empty when dense (position = id).</summary>
    public ReadOnlySpan<int> Support => IsSparse ? _tokens.AsSpan(0, _count) : ReadOnlySpan<int>.Empty;

    /// <summary>The weight of each entry, aligned with the positions (dense: indexed by token id); probability = weight x <see cref="Scale"/>.</summary>
    public ReadOnlySpan<double> Weights => IsSparse ? _sparse.AsSpan(0, _count) : _dense.AsSpan(0, VocabularySize);

    /// <summary>The factor that turns <see cref="Weights"/> into probabilities (the reciprocal of their sum; 1 when they are normalised).</summary>
    public double Scale { get; private set; } = 1.0;

    /// <summary>The token id at a position.</summary>
    /// <param name="index">A position in [0, <see cref="Count"/>).</param>
    /// <returns>The token id.</returns>
    public int TokenAt(int index) => IsSparse ? _tokens[index] : index;

    /// <summary>The position of a token, or -1 when it is outside the support (or the vocabulary).</summary>
    /// <param name="token">A token id.</param>
    /// <returns>The position or -1.</returns>
    public int IndexOf(int token)
    {
        if (!IsSparse)
        {
            return (uint)token < (uint)VocabularySize ? token : -1;
        }

        int i = _tokens.AsSpan(0, _count).BinarySearch(token);
        return i >= 0 ? i : -1;
    }

    /// <summary>The probability of a token (0 outside the support).</summary>
    /// <param name="token">A token id.</param>
    /// <returns>The probability.</returns>
    public double Probability(int token)
    {
        int i = IndexOf(token);
        return i < 0 ? 0 : Weights[i] * Scale;
    }

    /// <summary>Draws a token by one categorical draw over the entries.</summary>
    /// <param name="random">The random source.</param>
    /// <returns>The token id.</returns>
    /// <exception cref="ArgumentException">The distribution has no mass.</exception>
    public int Sample(IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return TokenAt(random.NextCategorical(Weights));
    }

    /// <summary>Writes one probability per token id (weight x scale; zeros outside a sparse support).</summary>
    /// <param name="destination">At least <see cref="VocabularySize"/> entries; the first <see cref="VocabularySize"/> are written.</param>
    /// <exception cref="ArgumentException">The destination is too short.</exception>
    public void CopyTo(Span<double> destination)
    {
        if (destination.Length < VocabularySize)
        {
            throw new ArgumentException($"Destination has {destination.Length} entries but the vocabulary has {VocabularySize}.", nameof(destination));
        }

        if (!IsSparse)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(_dense.AsSpan(0, VocabularySize), Scale, destination[..VocabularySize]);
            return;
        }

        destination[..VocabularySize].Clear();
        for (int i = 0; i < _count; i++)
        {
            destination[_tokens[i]] = _sparse[i] * Scale;
        }
    }

    /// <summary>Makes this a copy of <paramref name="other"/>.</summary>
    /// <param name="other">A distribution over the same vocabulary.</param>
    /// <exception cref="ArgumentException">The vocabularies differ.</exception>
    public void CopyFrom(TokenDistribution other)
    {
        ArgumentNullException.ThrowIfNull(other);
        CheckVocabulary(other.VocabularySize, nameof(other));
        if (other.IsSparse)
        {
            SetSparse(other.Support, other.Weights);
        }
        else
        {
            other.Weights.CopyTo(BeginDense());
        }

        Scale = other.Scale;
    }

    /// <summary>Sets a one-hot distribution (greedy decoding, deterministic drafts).</summary>
    /// <param name="token">The token of probability 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">The token is outside the vocabulary.</exception>
    public void SetOneHot(int token)
    {
        if ((uint)token >= (uint)VocabularySize)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"Token must be in [0, {VocabularySize}).");
        }

        BeginSparse(1, out var tokens, out var probabilities);
        tokens[0] = token;
        probabilities[0] = 1.0;
    }

    /// <summary>Sets a dense distribution (copied; not renormalised; scale 1).</summary>
    /// <param name="probabilities">One probability per token id.</param>
    /// <exception cref="ArgumentException">The length is not the vocabulary's size.</exception>
    public void SetDense(ReadOnlySpan<double> probabilities)
    {
        CheckVocabulary(probabilities.Length, nameof(probabilities));
        probabilities.CopyTo(BeginDense());
    }

    /// <summary>Sets a sparse distribution (copied; not renormalised).</summary>
    /// <param name="tokens">The support, strictly ascending token ids within the vocabulary.</param>
    /// <param name="probabilities">The probability of each support token.</param>
    /// <exception cref="ArgumentException">Lengths differ, or the tokens are not strictly ascending ids of the vocabulary.</exception>
    public void SetSparse(ReadOnlySpan<int> tokens, ReadOnlySpan<double> probabilities)
    {
        if (tokens.Length != probabilities.Length)
        {
            throw new ArgumentException($"{tokens.Length} tokens but {probabilities.Length} probabilities.", nameof(probabilities));
        }

        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)VocabularySize || (i > 0 && tokens[i] <= tokens[i - 1]))
            {
                throw new ArgumentException($"Support tokens must be strictly ascending ids in [0, {VocabularySize}); entry {i} is {tokens[i]}.", nameof(tokens));
            }
        }

        BeginSparse(tokens.Length, out var t, out var p);
        tokens.CopyTo(t);
        probabilities.CopyTo(p);
    }

    /// <summary>Switches to dense storage (scale 1) and returns it for writing (contents undefined).</summary>
    internal Span<double> BeginDense()
    {
        if (_dense.Length < VocabularySize)
        {
            _dense = new double[VocabularySize];
        }

        IsSparse = false;
        _count = 0;
        Scale = 1.0;
        return _dense.AsSpan(0, VocabularySize);
    }

    /// <summary>Declares the weights just written to sum to <paramref name="total"/>: probabilities are weights / total.</summary>
    internal void SetTotal(double total) => Scale = 1.0 / total;

    /// <summary>Switches to sparse storage of <paramref name="count"/> entries and returns it for writing (ascending ids).</summary>
    internal void BeginSparse(int count, out Span<int> tokens, out Span<double> probabilities)
    {
        if (_tokens.Length < count)
        {
            int capacity = Math.Min(VocabularySize, Math.Max(count, 2 * _tokens.Length));
            _tokens = new int[capacity];
            _sparse = new double[capacity];
        }

        IsSparse = true;
        _count = count;
        Scale = 1.0;
        tokens = _tokens.AsSpan(0, count);
        probabilities = _sparse.AsSpan(0, count);
    }

    private void CheckVocabulary(int length, string parameter)
    {
        if (length != VocabularySize)
        {
            throw new ArgumentException($"Expected {VocabularySize} entries (the vocabulary) but got {length}.", parameter);
        }
    }
}
