using System.Collections.Concurrent;
using System.Text;
using LLama;
using LLama.Native;

namespace SpecAI.Extensions.ChatClient;

/// <summary>
/// Tokenizes a rendered prompt so that only the template's scaffolding can produce control tokens: message
/// content is tokenized as text, so <c>&lt;|im_end|&gt;&lt;|im_start|&gt;system</c> inside a message stays text.
/// </summary>
/// <remarks>
/// llama.cpp with special-token parsing first splits the text at every special token (longest text first,
/// stripping whitespace beside tokens marked lstrip/rstrip), then tokenizes each remaining fragment on its own.
/// This class does that split on the scaffolding only, joins the text between two special tokens (scaffolding
/// and content alike) into one fragment and hands it to llama.cpp without special parsing (user-defined
/// tokens such as Qwen's <c>&lt;tool_call&gt;</c> are still matched there, as llama.cpp always does). A prompt
/// whose content holds no special-token text therefore gets exactly the tokens of the whole-text special
/// tokenization.
/// </remarks>
internal sealed class PromptTokenizer
{
    private const int CacheLimit = 512;
    private readonly LLamaWeights _weights;
    private readonly SpecialToken[] _specials;
    private readonly ConcurrentDictionary<string, Piece[]> _partitions = new(StringComparer.Ordinal);

    public PromptTokenizer(LLamaWeights weights)
    {
        _weights = weights;
        var vocab = weights.Vocab;
        var specials = new List<SpecialToken>();
        for (int id = 0; id < vocab.Count; id++)
        {
            var attributes = ((LLamaToken)id).GetAttributes(vocab);
            if ((attributes & (LLamaTokenAttr.Control | LLamaTokenAttr.UserDefined | LLamaTokenAttr.Unknown)) == 0)
            {
                continue;
            }

            // With special = true llama.cpp renders control, unknown and user-defined tokens as their raw text.
            string? text = vocab.LLamaTokenToString((LLamaToken)id, isSpecialToken: true);
            if (!string.IsNullOrEmpty(text))
            {
                specials.Add(new SpecialToken(text, id, attributes));
            }
        }

        // Longest first, as llama.cpp partitions (ties by id, so the result is deterministic).
        _specials = specials.OrderByDescending(s => s.Text.Length).ThenBy(s => s.Id).ToArray();
    }

    /// <summary>Tokens of the prompt, BOS (and EOS) added as llama.cpp's add_special would.</summary>
    /// <param name="segments">Scaffolding and content.</param>
    /// <param name="controlTokensInContent">Parse special tokens in content too (trusted content only).</param>
    public int[] Tokenize(IReadOnlyList<PromptSegment> segments, bool controlTokensInContent)
    {
        var pieces = new List<Piece>();
        var pending = new StringBuilder();
        foreach (var segment in segments)
        {
            if (segment.IsContent && !controlTokensInContent)
            {
                pending.Append(segment.Text);
                continue;
            }

            foreach (var piece in Partition(segment.Text))
            {
                if (piece.Token < 0)
                {
                    pending.Append(piece.Text);
                }
                else
                {
                    Flush(pending, pieces);
                    pieces.Add(piece);
                }
            }
        }

        Flush(pending, pieces);
        return Encode(pieces);
    }

    private static void Flush(StringBuilder pending, List<Piece> pieces)
    {
        if (pending.Length > 0)
        {
            pieces.Add(new Piece(pending.ToString(), -1, default));
            pending.Clear();
        }
    }

    private int[] Encode(List<Piece> pieces)
    {
        var vocab = _weights.Vocab;
        var tokens = new List<int>();
        bool addSpecial = vocab.ShouldAddBOS;
        if (addSpecial && vocab.BOS is { } bos)
        {
            tokens.Add((int)bos);
        }

        for (int i = 0; i < pieces.Count; i++)
        {
            var piece = pieces[i];
            if (piece.Token >= 0)
            {
                tokens.Add(piece.Token);
                continue;
            }

            string text = piece.Text;
            int start = 0;
            int end = text.Length;
            if (i > 0 && (pieces[i - 1].Attributes & LLamaTokenAttr.RStrip) != 0)
            {
                while (start < end && IsCSpace(text[start]))
                {
                    start++;
                }
            }

            if (i + 1 < pieces.Count && (pieces[i + 1].Attributes & LLamaTokenAttr.LStrip) != 0)
            {
                while (end > start && IsCSpace(text[end - 1]))
                {
                    end--;
                }
            }

            // llama.cpp never tokenizes an empty fragment (an SPM vocabulary would emit a lone space).
            if (end > start)
            {
                foreach (var token in _weights.Tokenize(text[start..end], add_bos: false, special: false, Encoding.UTF8))
                {
                    tokens.Add((int)token);
                }
            }
        }

        if (addSpecial && vocab.ShouldAddEOS && vocab.EOS is { } eos)
        {
            tokens.Add((int)eos);
        }

        return tokens.ToArray();
    }

    /// <summary>Splits scaffolding at special-token texts the way llama.cpp does (longest token first).</summary>
    private Piece[] Partition(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        if (_partitions.TryGetValue(text, out var cached))
        {
            return cached;
        }

        var pieces = new List<Piece> { new(text, -1, default) };
        foreach (var special in _specials)
        {
            if (special.Text.Length > text.Length || !text.Contains(special.Text, StringComparison.Ordinal))
            {
                continue;
            }

            var next = new List<Piece>(pieces.Count + 2);
            foreach (var piece in pieces)
            {
                if (piece.Token >= 0)
                {
                    next.Add(piece);
                    continue;
                }

                int position = 0;
                int at;
                while ((at = piece.Text.IndexOf(special.Text, position, StringComparison.Ordinal)) >= 0)
                {
                    if (at > position)
                    {
                        next.Add(new Piece(piece.Text[position..at], -1, default));
                    }

                    next.Add(new Piece(special.Text, special.Id, special.Attributes));
                    position = at + special.Text.Length;
                }

                if (position < piece.Text.Length)
                {
                    next.Add(new Piece(piece.Text[position..], -1, default));
                }
            }

            pieces = next;
        }

        var result = pieces.ToArray();
        if (_partitions.Count >= CacheLimit)
        {
            _partitions.Clear();
        }

        _partitions[text] = result;
        return result;
    }

    /// <summary>C's isspace in the "C" locale, which llama.cpp uses for lstrip/rstrip.</summary>
    internal static bool IsCSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    private readonly record struct SpecialToken(string Text, int Id, LLamaTokenAttr Attributes);

    /// <summary>Raw text (token -1) or one special token.</summary>
    private readonly record struct Piece(string Text, int Token, LLamaTokenAttr Attributes);
}
