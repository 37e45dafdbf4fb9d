using System.Globalization;

namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>
/// The tokenizer a forged model carries: either a synthetic SentencePiece-style vocabulary (<see cref="Create"/>)
/// or a real byte-level BPE tokenizer (<see cref="FromTokenizer"/>, <see cref="ByteLevel"/>), optionally padded with
/// unused <c>[PAD&lt;i&gt;]</c> slots (<see cref="PadTo"/>) as GGUF converters do up to a model's <c>vocab_size</c>.
/// </summary>
public sealed class ForgeVocabulary
{
    /// <summary>The SentencePiece word-boundary marker that stands for a space.</summary>
    public const string SpaceMarker = "\u2581";

    /// <summary><c>tokenizer.ggml.model</c> of SentencePiece vocabularies.</summary>
    public const string SentencePieceModel = "llama";

    /// <summary><c>tokenizer.ggml.model</c> of byte-level BPE vocabularies.</summary>
    public const string ByteLevelModel = "gpt2";

    private const string Letters = "\u2581etaoinshrdlucmfwypvbgkjqxz";

    private ForgeVocabulary(
        string model, string? pre, List<string> tokens, List<LlamaTokenType> types, IReadOnlyList<string> merges,
        ForgeSpecialTokens special, string? chatTemplate, int realCount)
    {
        Model = model;
        PreTokenizer = pre;
        Tokens = tokens;
        TokenTypes = types;
        Merges = merges;
        Special = special;
        ChatTemplate = chatTemplate;
        RealCount = realCount;
        Scores = model == SentencePieceModel
            ? tokens.Select((_, i) => types[i] == LlamaTokenType.Normal ? -(float)i : 0f).ToArray()
            : [];
    }

    /// <summary><c>tokenizer.ggml.model</c>: <see cref="SentencePieceModel"/> or <see cref="ByteLevelModel"/>.</summary>
    public string Model { get; }

    /// <summary><c>tokenizer.ggml.pre</c>, the pre-tokenizer name llama.cpp knows (e.g. <c>qwen2</c>, <c>llama-bpe</c>); null for SentencePiece.</summary>
    public string? PreTokenizer { get; }

    /// <summary>Token texts by id (byte-level BPE pieces in their GPT-2 byte-to-unicode spelling, e.g. <c>Ġthe</c>).</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>SentencePiece merge scores by id (higher merges first); empty for byte-level BPE.</summary>
    public IReadOnlyList<float> Scores { get; }

    /// <summary>Token attributes by id.</summary>
    public IReadOnlyList<LlamaTokenType> TokenTypes { get; }

    /// <summary>BPE merges in rank order, each <c>"left right"</c>; empty for SentencePiece.</summary>
    public IReadOnlyList<string> Merges { get; }

    /// <summary>Special ids and the add-BOS/EOS flags.</summary>
    public ForgeSpecialTokens Special { get; }

    /// <summary>The Jinja chat template written to <c>tokenizer.chat_template</c>, if any.</summary>
    public string? ChatTemplate { get; }

    /// <summary>Number of tokens.</summary>
    public int Count => Tokens.Count;

    /// <summary>Number of tokens before the padding added by <see cref="PadTo"/>.</summary>
    public int RealCount { get; }

    /// <summary>BOS id.</summary>
    public int BeginOfSequence => Special.BeginOfSequence;

    /// <summary>EOS id: <c>&lt;|im_end|&gt;</c> with ChatML, else <c>&lt;/s&gt;</c> in synthetic vocabularies; the tokenizer's EOS otherwise.</summary>
    public int EndOfSequence => Special.EndOfSequence;

    /// <summary>End-of-turn id, or null.</summary>
    public int? EndOfTurn => Special.EndOfTurn;

    /// <summary>Unknown-token id (synthetic vocabularies), or null.</summary>
    public int? Unknown => Special.Unknown;

    /// <summary>The smallest vocabulary size <see cref="Create"/> accepts.</summary>
    public static int MinimumSize(bool chatMl) => (chatMl ? 5 : 3) + 256 + 95;

    // Largest synthetic vocabulary: 2^18 tokens (room for Qwen3.5's 248,320 and Gemma 3's 262,144).
    private const int MaximumSize = 262_144;

    /// <summary>
    /// Whether forged models may sample token <paramref name="id"/>: normal and byte pieces, EOS and EOT. Padding,
    /// other control tokens, user-defined added tokens and UNK get a very low logit instead.
    /// </summary>
    public bool IsSampled(int id) =>
        id == EndOfSequence || id == EndOfTurn || TokenTypes[id] is LlamaTokenType.Normal or LlamaTokenType.Byte;

    /// <summary>
    /// A synthetic SentencePiece-style ("llama") byte-fallback vocabulary of exactly <paramref name="size"/> tokens:
    /// control tokens, all 256 byte tokens, printable ASCII characters, then letter n-grams (with <c>▁</c> for a
    /// space), so any text tokenizes. Every multi-character piece's prefix is also a piece, which is what
    /// llama.cpp's bigram-merging SPM tokenizer needs to reach it. With <paramref name="chatMl"/>, ChatML control
    /// tokens and template.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is below <see cref="MinimumSize"/> or above 262,144 (Gemma 3's 262,144 and Qwen3.5's 248,320 fit).</exception>
    public static ForgeVocabulary Create(int size, bool chatMl)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MinimumSize(chatMl));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaximumSize);
        var tokens = new List<string>(size) { "<unk>", "<s>", "</s>" };
        var types = new List<LlamaTokenType>(size) { LlamaTokenType.Unknown, LlamaTokenType.Control, LlamaTokenType.Control };
        if (chatMl)
        {
            tokens.AddRange(["<|im_start|>", "<|im_end|>"]);
            types.AddRange([LlamaTokenType.Control, LlamaTokenType.Control]);
        }

        for (int b = 0; b < 256; b++)
        {
            tokens.Add($"<0x{b:X2}>");
            types.Add(LlamaTokenType.Byte);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal) { SpaceMarker };
        tokens.Add(SpaceMarker);
        for (char c = '!'; c <= '~'; c++)
        {
            seen.Add(c.ToString());
            tokens.Add(c.ToString());
        }

        // Breadth-first n-grams: every piece of length k extends one of length k - 1.
        var previous = new List<string> { string.Empty };
        while (tokens.Count < size)
        {
            var next = new List<string>();
            foreach (string prefix in previous)
            {
                foreach (char c in Letters)
                {
                    string piece = prefix + c;
                    next.Add(piece);
                    if (tokens.Count < size && seen.Add(piece))
                    {
                        tokens.Add(piece);
                    }
                }
            }

            previous = next;
        }

        types.AddRange(Enumerable.Repeat(LlamaTokenType.Normal, tokens.Count - types.Count));
        var special = new ForgeSpecialTokens
        {
            BeginOfSequence = 1,
            EndOfSequence = chatMl ? 4 : 2,
            EndOfTurn = chatMl ? 4 : null,
            Unknown = 0,
            AddBeginOfSequence = true,
        };
        return new ForgeVocabulary(SentencePieceModel, null, tokens, types, [], special, chatMl ? ChatMlTemplate.Jinja : null, tokens.Count);
    }

    /// <summary>
    /// Reads a Hugging Face byte-level BPE tokenizer (<c>tokenizer.json</c>, with <c>tokenizer_config.json</c> from the
    /// same folder for the special tokens, add-BOS flag and chat template) and pads it to <paramref name="size"/>
    /// (default: no padding).
    /// </summary>
    /// <param name="tokenizerPath">The <c>tokenizer.json</c> file.</param>
    /// <param name="size">Total token count written to the GGUF, at least the tokenizer's own count.</param>
    /// <param name="addedTokenNames">Replaces the text of added tokens (old text to new text; texts absent here are skipped), e.g. Llama 3's reserved slots.</param>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">The tokenizer is not byte-level BPE, its pre-tokenizer is not one llama.cpp names, or a special token is missing.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is below the tokenizer's count or above 300,000.</exception>
    public static ForgeVocabulary FromTokenizer(string tokenizerPath, int? size = null, IReadOnlyDictionary<string, string>? addedTokenNames = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizerPath);
        ForgeVocabulary vocabulary = HuggingFaceTokenizerReader.Read(tokenizerPath, addedTokenNames);
        return size is int n ? vocabulary.PadTo(n) : vocabulary;
    }

    /// <summary>A byte-level BPE ("gpt2") vocabulary from its parts (the tokens must be unique; ids in the special tokens must exist).</summary>
    /// <exception cref="ArgumentException">Lengths differ, a token is repeated, or a special id is out of range.</exception>
    public static ForgeVocabulary ByteLevel(
        IReadOnlyList<string> tokens, IReadOnlyList<LlamaTokenType> types, IReadOnlyList<string> merges,
        string preTokenizer, ForgeSpecialTokens special, string? chatTemplate = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(merges);
        ArgumentException.ThrowIfNullOrEmpty(preTokenizer);
        ArgumentNullException.ThrowIfNull(special);
        if (tokens.Count != types.Count || tokens.Count == 0)
        {
            throw new ArgumentException($"{tokens.Count} tokens but {types.Count} token types.", nameof(types));
        }

        if (tokens.Distinct(StringComparer.Ordinal).Count() != tokens.Count)
        {
            throw new ArgumentException("Token texts must be unique.", nameof(tokens));
        }

        foreach (int? id in new[] { special.BeginOfSequence, special.EndOfSequence, special.EndOfTurn, special.EndOfMessage, special.Padding, special.Unknown })
        {
            if (id is int i && (uint)i >= (uint)tokens.Count)
            {
                throw new ArgumentException($"Special token id {i} is outside the vocabulary of {tokens.Count}.", nameof(special));
            }
        }

        int real = tokens.Count;
        while (real > 0 && types[real - 1] == LlamaTokenType.Unused && tokens[real - 1].StartsWith("[PAD", StringComparison.Ordinal))
        {
            real--;
        }

        return new ForgeVocabulary(ByteLevelModel, preTokenizer, tokens.ToList(), types.ToList(), merges.ToArray(), special, chatTemplate, real);
    }

    /// <summary>This vocabulary followed by unused <c>[PAD&lt;i&gt;]</c> tokens (i = the id) up to <paramref name="size"/> tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is below <see cref="Count"/> or above 300,000.</exception>
    public ForgeVocabulary PadTo(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, Count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 300_000);
        if (size == Count)
        {
            return this;
        }

        var tokens = new List<string>(Tokens);
        var types = new List<LlamaTokenType>(TokenTypes);
        for (int i = Count; i < size; i++)
        {
            tokens.Add(string.Create(CultureInfo.InvariantCulture, $"[PAD{i}]"));
            types.Add(LlamaTokenType.Unused);
        }

        return new ForgeVocabulary(Model, PreTokenizer, tokens, types, Merges, Special, ChatTemplate, RealCount);
    }
}
