namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>
/// A SentencePiece-style ("llama") byte-fallback vocabulary: control tokens, all 256 byte tokens,
/// printable ASCII characters, then letter n-grams (with <c>▁</c> for a space) up to the requested size,
/// so any text tokenizes. Every multi-character piece's prefix is also a piece, which is what
/// llama.cpp's bigram-merging SPM tokenizer needs to reach it.
/// </summary>
public sealed class ForgeVocabulary
{
    /// <summary>The SentencePiece word-boundary marker that stands for a space.</summary>
    public const string SpaceMarker = "\u2581";

    private const string Letters = "\u2581etaoinshrdlucmfwypvbgkjqxz";

    private ForgeVocabulary(List<string> tokens, List<LlamaTokenType> types, int bos, int eos, int? eot, int unknown, bool chatMl)
    {
        Tokens = tokens;
        TokenTypes = types;
        Scores = tokens.Select((_, i) => types[i] == LlamaTokenType.Normal ? -(float)i : 0f).ToArray();
        BeginOfSequence = bos;
        EndOfSequence = eos;
        EndOfTurn = eot;
        Unknown = unknown;
        HasChatMl = chatMl;
    }

    /// <summary>Token texts by id.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>SentencePiece merge scores by id (higher merges first).</summary>
    public IReadOnlyList<float> Scores { get; }

    /// <summary>Token attributes by id.</summary>
    public IReadOnlyList<LlamaTokenType> TokenTypes { get; }

    /// <summary>Number of tokens.</summary>
    public int Count => Tokens.Count;

    /// <summary>BOS id (<c>&lt;s&gt;</c>).</summary>
    public int BeginOfSequence { get; }

    /// <summary>EOS id: <c>&lt;|im_end|&gt;</c> with ChatML, else <c>&lt;/s&gt;</c>.</summary>
    public int EndOfSequence { get; }

    /// <summary>End-of-turn id (<c>&lt;|im_end|&gt;</c>) with ChatML; null otherwise.</summary>
    public int? EndOfTurn { get; }

    /// <summary>Unknown-token id.</summary>
    public int Unknown { get; }

    /// <summary>Whether the ChatML control tokens <c>&lt;|im_start|&gt;</c> and <c>&lt;|im_end|&gt;</c> exist.</summary>
    public bool HasChatMl { get; }

    /// <summary>The smallest vocabulary size <see cref="Create"/> accepts.</summary>
    public static int MinimumSize(bool chatMl) => (chatMl ? 5 : 3) + 256 + 95;

    /// <summary>Builds a vocabulary of exactly <paramref name="size"/> tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is below <see cref="MinimumSize"/> or above 200,000.</exception>
    public static ForgeVocabulary Create(int size, bool chatMl)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MinimumSize(chatMl));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 200_000);
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
        int eos = chatMl ? 4 : 2;
        return new ForgeVocabulary(tokens, types, bos: 1, eos, eot: chatMl ? 4 : null, unknown: 0, chatMl);
    }
}
