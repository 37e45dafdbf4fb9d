using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Constraints;

/// <summary>
/// Restricts generation to JSON (RFC 8259), optionally shaped by a <see cref="JsonSchemaSubset"/>: a token is allowed iff
/// appending its text to the text generated so far keeps that text a valid prefix of a document.
/// </summary>
/// <remarks>
/// <para>Rules: leading whitespace is allowed; the top-level value must be an object unless
/// <see cref="JsonTokenConstraintOptions.RequireTopLevelObject"/> is off or the schema's root <c>type</c> says otherwise;
/// once the top-level value is complete only up to <see cref="JsonTokenConstraintOptions.MaxTrailingWhitespace"/>
/// whitespace characters and the end-of-generation tokens may follow. End-of-generation tokens are allowed only when the
/// document is complete (a top-level number counts as complete once it could end). Tokens with empty text (control,
/// unknown) are never allowed, and neither are ids beyond the vocabulary.</para>
/// <para>The check runs a character-level pushdown automaton over a trie of the token texts, so a shared prefix is
/// checked once and a failing prefix prunes every token that starts with it. The automaton state after each generated
/// token and the allowed set at each position are cached along the last sequence seen; a call reuses the longest common
/// prefix with it, which suits speculation (drafts grow the sequence, rejections shorten it, the target re-reads
/// positions the draft already computed).</para>
/// <para>Strings are checked on UTF-16 code units as decoded by the tokenizer; surrogate pairing in <c>\u</c> escapes is
/// not enforced. Calls are serialised by a lock; share an instance only between requests with the same vocabulary.</para>
/// </remarks>
internal sealed class JsonTokenConstraint : ITokenConstraint
{
    private readonly IReadOnlyList<string> _texts;
    private readonly int[] _endTokens;
    private readonly HashSet<int> _endSet;
    private readonly JsonTokenConstraintOptions _options;
    private readonly TokenTrie _trie;
    private readonly JsonCursor _start;
    private readonly List<int> _tokens = new();
    private readonly List<JsonCursor> _states = new();
    private readonly List<ulong[]?> _masks = new();
    private readonly Lock _lock = new();

    /// <summary>Creates a constraint for a vocabulary.</summary>
    /// <param name="tokenTexts">The decoded text of each token id; empty for control, unknown or special tokens.</param>
    /// <param name="endOfGenerationTokens">Token ids that end the generation; allowed only once the document is complete.</param>
    /// <param name="schema">An optional schema subset the document must follow.</param>
    /// <param name="options">Optional tuning; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <remarks>Builds the vocabulary's trie: for many constraints over one vocabulary, prepare a <see cref="JsonTokenVocabulary"/> once.</remarks>
    public JsonTokenConstraint(IReadOnlyList<string> tokenTexts, IEnumerable<int> endOfGenerationTokens, JsonSchemaSubset? schema = null, JsonTokenConstraintOptions? options = null)
        : this(new JsonTokenVocabulary(tokenTexts, endOfGenerationTokens), schema, options)
    {
    }

    /// <summary>Creates a constraint over a prepared vocabulary (its trie is shared, not rebuilt).</summary>
    /// <param name="vocabulary">The token texts, end tokens and their trie.</param>
    /// <param name="schema">An optional schema subset the document must follow.</param>
    /// <param name="options">Optional tuning; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public JsonTokenConstraint(JsonTokenVocabulary vocabulary, JsonSchemaSubset? schema = null, JsonTokenConstraintOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        _options = options ?? new JsonTokenConstraintOptions();
        _options.Validate();
        Vocabulary = vocabulary;
        _texts = vocabulary.TokenTexts;
        _endSet = vocabulary.EndSet;
        _endTokens = vocabulary.EndTokens;
        _trie = vocabulary.Trie;
        Schema = schema;
        _start = JsonCursor.Start(schema?.Root ?? SchemaNode.Generic, _options);
        _states.Add(_start);
        _masks.Add(null);
    }

    /// <summary>The vocabulary (shared between constraints created from it).</summary>
    public JsonTokenVocabulary Vocabulary { get; }

    /// <summary>The schema enforced, if any.</summary>
    public JsonSchemaSubset? Schema { get; }

    /// <summary>The options in force.</summary>
    public JsonTokenConstraintOptions Options => _options;

    /// <summary>Number of entries in the vocabulary.</summary>
    public int VocabularySize => _texts.Count;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException"><paramref name="generated"/> is itself not a valid prefix.</exception>
    public void Apply(ReadOnlySpan<int> generated, Span<double> logits)
    {
        lock (_lock)
        {
            ulong[] mask = MaskFor(generated);
            for (int i = 0; i < logits.Length; i++)
            {
                if ((uint)i >= (uint)_texts.Count || (mask[i >> 6] & (1UL << (i & 63))) == 0)
                {
                    logits[i] = double.NegativeInfinity;
                }
            }
        }
    }

    /// <summary>Whether <paramref name="token"/> may follow <paramref name="generated"/>.</summary>
    /// <param name="generated">Tokens generated so far.</param>
    /// <param name="token">The candidate.</param>
    /// <returns><see langword="true"/> if allowed.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="generated"/> is itself not a valid prefix.</exception>
    public bool IsAllowed(ReadOnlySpan<int> generated, int token)
    {
        lock (_lock)
        {
            ulong[] mask = MaskFor(generated);
            return (uint)token < (uint)_texts.Count && (mask[token >> 6] & (1UL << (token & 63))) != 0;
        }
    }

    /// <summary>Whether the tokens form a complete document (an end-of-generation token may follow).</summary>
    /// <param name="generated">Tokens generated so far (a trailing end-of-generation token is allowed).</param>
    /// <returns><see langword="true"/> if complete.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="generated"/> is not a valid prefix.</exception>
    public bool IsComplete(ReadOnlySpan<int> generated)
    {
        lock (_lock)
        {
            var state = StateFor(generated);
            return state.Mode == JsonMode.Ended || state.IsComplete(_options);
        }
    }

    /// <summary>Whether <paramref name="text"/> is a prefix of some document this constraint accepts.</summary>
    /// <param name="text">The text.</param>
    /// <param name="schema">An optional schema subset.</param>
    /// <param name="options">Optional tuning.</param>
    /// <returns><see langword="true"/> if some continuation completes it.</returns>
    public static bool IsValidPrefix(string text, JsonSchemaSubset? schema = null, JsonTokenConstraintOptions? options = null)
        => TryRun(text, schema, options, out _);

    /// <summary>Whether <paramref name="text"/> is a complete document this constraint accepts.</summary>
    /// <param name="text">The text.</param>
    /// <param name="schema">An optional schema subset.</param>
    /// <param name="options">Optional tuning.</param>
    /// <returns><see langword="true"/> if complete and valid.</returns>
    public static bool IsCompleteDocument(string text, JsonSchemaSubset? schema = null, JsonTokenConstraintOptions? options = null)
        => TryRun(text, schema, options, out var cursor) && cursor.IsComplete(options ?? new JsonTokenConstraintOptions());

    private static bool TryRun(string text, JsonSchemaSubset? schema, JsonTokenConstraintOptions? options, out JsonCursor cursor)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= new JsonTokenConstraintOptions();
        options.Validate();
        cursor = JsonCursor.Start(schema?.Root ?? SchemaNode.Generic, options);
        foreach (char c in text)
        {
            if (!cursor.Step(c, options))
            {
                return false;
            }
        }

        return true;
    }

    private JsonCursor StateFor(ReadOnlySpan<int> generated)
    {
        int common = 0;
        int limit = Math.Min(generated.Length, _tokens.Count);
        while (common < limit && generated[common] == _tokens[common])
        {
            common++;
        }

        if (common < _tokens.Count)
        {
            _tokens.RemoveRange(common, _tokens.Count - common);
            _states.RemoveRange(common + 1, _states.Count - common - 1);
            _masks.RemoveRange(common + 1, _masks.Count - common - 1);
        }

        for (int i = common; i < generated.Length; i++)
        {
            int token = generated[i];
            var state = _states[^1];
            if (!Advance(ref state, token))
            {
                throw new InvalidOperationException(
                    $"Generated token {token} at answer position {i} does not continue a valid JSON prefix: the constraint was not applied when it was sampled.");
            }

            _tokens.Add(token);
            _states.Add(state);
            _masks.Add(null);
        }

        return _states[^1];
    }

    private bool Advance(ref JsonCursor state, int token)
    {
        if (state.Mode == JsonMode.Ended)
        {
            return _endSet.Contains(token);
        }

        if (_endSet.Contains(token))
        {
            if (!state.IsComplete(_options))
            {
                return false;
            }

            state.End();
            return true;
        }

        if ((uint)token >= (uint)_texts.Count || string.IsNullOrEmpty(_texts[token]))
        {
            return false;
        }

        foreach (char c in _texts[token])
        {
            if (!state.Step(c, _options))
            {
                return false;
            }
        }

        return true;
    }

    private ulong[] MaskFor(ReadOnlySpan<int> generated)
    {
        var state = StateFor(generated);
        if (_masks[^1] is { } cached)
        {
            return cached;
        }

        var mask = new ulong[(_texts.Count + 63) >> 6];
        if (state.Mode == JsonMode.Ended || state.IsComplete(_options))
        {
            foreach (int token in _endTokens)
            {
                if (token < _texts.Count)
                {
                    mask[token >> 6] |= 1UL << (token & 63);
                }
            }
        }

        if (state.Mode != JsonMode.Ended)
        {
            Walk(0, state, mask);
        }

        _masks[^1] = mask;
        return mask;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Walk(int node, JsonCursor state, ulong[] mask)
    {
        var chars = _trie.ChildChars(node);
        var children = _trie.Children(node);
        for (int i = 0; i < chars.Length; i++)
        {
            var next = state;
            char c = chars[i];
            bool unchanged = state.IsPlainString && c >= 0x20 && c != '"' && c != '\\';
            if (!unchanged && !next.Step(c, _options))
            {
                continue;
            }

            int child = children[i];
            foreach (int token in _trie.TokensAt(child))
            {
                mask[token >> 6] |= 1UL << (token & 63);
            }

            if (_trie.Children(child).Length > 0)
            {
                Walk(child, next, mask);
            }
        }
    }
}
