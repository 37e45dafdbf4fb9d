namespace SpecAI.Extensions.Vocabulary;

/// <summary>
/// One model's vocabulary as mapping needs it: what bytes each token stands for, what kind of token it is, and
/// the BOS/EOS conventions.
/// </summary>
/// <remarks>
/// A token's piece is the text it decodes to, as bytes: SentencePiece's '▁' and byte-level BPE's 'Ġ' both
/// become a space, a byte token its byte, a control token its own text. Comparing pieces rather than the raw
/// vocabulary strings is what lets a SentencePiece vocabulary and a byte-level one share tokens.
/// </remarks>
internal sealed class TokenVocabulary
{
    private readonly byte[][] _pieces;
    private readonly TokenKind[] _kinds;
    private readonly HashSet<int> _endOfGeneration;

    /// <summary>Creates a vocabulary description.</summary>
    /// <param name="tokenizerModel">The tokenizer's algorithm (llama.cpp's vocabulary type: SentencePiece, BytePairEncoding, ...); pairs with different models are never "padded".</param>
    /// <param name="pieces">Each token's bytes (empty when it stands for none).</param>
    /// <param name="kinds">Each token's kind.</param>
    /// <param name="beginOfSequence">The BOS id, or -1.</param>
    /// <param name="endOfSequence">The EOS id, or -1.</param>
    /// <param name="addsBeginOfSequence">Whether prompts start with BOS.</param>
    /// <param name="addsEndOfSequence">Whether prompts end with EOS.</param>
    /// <param name="endOfGeneration">Tokens that end generation (EOS, end-of-turn, ...); EOS alone when null.</param>
    /// <exception cref="ArgumentException">The lists differ in length, or an id is outside the vocabulary.</exception>
    public TokenVocabulary(
        string tokenizerModel,
        IReadOnlyList<byte[]> pieces,
        IReadOnlyList<TokenKind> kinds,
        int beginOfSequence,
        int endOfSequence,
        bool addsBeginOfSequence,
        bool addsEndOfSequence,
        IEnumerable<int>? endOfGeneration = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizerModel);
        ArgumentNullException.ThrowIfNull(pieces);
        ArgumentNullException.ThrowIfNull(kinds);
        if (pieces.Count != kinds.Count)
        {
            throw new ArgumentException($"{pieces.Count} pieces but {kinds.Count} kinds.", nameof(kinds));
        }

        CheckId(beginOfSequence, pieces.Count, nameof(beginOfSequence));
        CheckId(endOfSequence, pieces.Count, nameof(endOfSequence));
        TokenizerModel = tokenizerModel;
        _pieces = pieces.Select(p => p ?? throw new ArgumentException("A piece is null.", nameof(pieces))).ToArray();
        _kinds = kinds.ToArray();
        BeginOfSequence = beginOfSequence;
        EndOfSequence = endOfSequence;
        AddsBeginOfSequence = addsBeginOfSequence && beginOfSequence >= 0;
        AddsEndOfSequence = addsEndOfSequence && endOfSequence >= 0;
        _endOfGeneration = new HashSet<int>(endOfGeneration ?? (endOfSequence >= 0 ? [endOfSequence] : []));
        foreach (int token in _endOfGeneration)
        {
            CheckId(token, pieces.Count, nameof(endOfGeneration));
        }
    }

    /// <summary>The tokenizer's algorithm.</summary>
    public string TokenizerModel { get; }

    /// <summary>Number of tokens.</summary>
    public int Count => _pieces.Length;

    /// <summary>The BOS id, or -1.</summary>
    public int BeginOfSequence { get; }

    /// <summary>The EOS id, or -1.</summary>
    public int EndOfSequence { get; }

    /// <summary>Whether prompts start with BOS.</summary>
    public bool AddsBeginOfSequence { get; }

    /// <summary>Whether prompts end with EOS.</summary>
    public bool AddsEndOfSequence { get; }

    /// <summary>The bytes token <paramref name="token"/> stands for.</summary>
    /// <param name="token">Token id.</param>
    /// <returns>The bytes (a control token's own text).</returns>
    public ReadOnlySpan<byte> PieceOf(int token) => _pieces[token];

    /// <summary>The kind of token <paramref name="token"/>.</summary>
    /// <param name="token">Token id.</param>
    /// <returns>The kind.</returns>
    public TokenKind KindOf(int token) => _kinds[token];

    /// <summary>Whether <paramref name="token"/> ends generation.</summary>
    /// <param name="token">Token id.</param>
    /// <returns><see langword="true"/> for EOS, end-of-turn and the like.</returns>
    public bool IsEndOfGeneration(int token) => _endOfGeneration.Contains(token);

    /// <summary>Whether <paramref name="token"/> stands for text (normal, byte or user-defined).</summary>
    /// <param name="token">Token id.</param>
    /// <returns><see langword="true"/> for text tokens.</returns>
    public bool IsText(int token) => _kinds[token] is TokenKind.Normal or TokenKind.Byte or TokenKind.UserDefined;

    private static void CheckId(int id, int count, string name)
    {
        if (id < -1 || id >= count)
        {
            throw new ArgumentException($"Token id {id} is outside the vocabulary of {count} tokens.", name);
        }
    }
}
