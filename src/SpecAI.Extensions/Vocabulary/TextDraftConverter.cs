using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace SpecAI.Extensions.Vocabulary;

/// <summary>
/// String-level exact match (SLEM, Timor et al., ICML 2025, arXiv:2502.05202): turns the text the draft wrote in
/// its own vocabulary into target tokens, aligned with the tail of the committed text.
/// </summary>
/// <remarks>
/// The draft's text is appended to the text of the last few committed target tokens (moved back to a UTF-8
/// character boundary, never across a control token) and the whole is tokenised with the target's tokenizer;
/// when the result starts with those committed tokens, what follows them is the draft. When the target would
/// have split the joint differently (the draft finished a word the target had begun), the draft's text is
/// tokenised alone. A trailing partial character is dropped. The result is a deterministic draft: its law is
/// one-hot, which is exactly how the verifiers treat it, so the output keeps the target's law whatever the
/// draft wrote.
/// </remarks>
internal sealed class TextDraftConverter
{
    /// <summary>Committed target tokens re-tokenised with the draft's text to find where the draft's tokens begin.</summary>
    public const int LookBehind = 4;

    private readonly VocabularyBridge _vocabulary;
    private readonly List<byte> _draftText = new();
    private readonly List<byte> _joint = new();
    private readonly List<int> _tokens = new();

    public TextDraftConverter(VocabularyBridge vocabulary)
    {
        _vocabulary = vocabulary;
    }

    /// <summary>Appends up to <paramref name="maxTokens"/> target tokens for the draft's tokens <paramref name="drafted"/>; returns how many.</summary>
    /// <param name="committed">The committed target tokens.</param>
    /// <param name="drafted">What the draft wrote, in its vocabulary.</param>
    /// <param name="maxTokens">Most target tokens to propose.</param>
    /// <param name="destination">Receives the target tokens.</param>
    /// <returns>How many were appended.</returns>
    public int Convert(IReadOnlyList<int> committed, IReadOnlyList<int> drafted, int maxTokens, List<int> destination)
    {
        // The draft's text up to its first control token, which ends it (as the target's, when the map has one).
        var draft = _vocabulary.Draft;
        _draftText.Clear();
        int ending = -1;
        foreach (int token in drafted)
        {
            if (!draft.IsText(token))
            {
                ending = _vocabulary.Map!.ToTarget(token);
                break;
            }

            _draftText.AddRange(draft.PieceOf(token));
        }

        int complete = CompleteLength(CollectionsMarshal.AsSpan(_draftText));
        bool whole = complete == _draftText.Count;
        _draftText.RemoveRange(complete, _draftText.Count - complete);
        int before = destination.Count;
        bool all = true;
        if (_draftText.Count > 0)
        {
            if (!TokenizeAligned(committed))
            {
                return 0;
            }

            int take = Math.Min(maxTokens, _tokens.Count);
            destination.AddRange(CollectionsMarshal.AsSpan(_tokens)[..take]);
            all = take == _tokens.Count;
        }

        if (ending >= 0 && all && whole && destination.Count - before < maxTokens)
        {
            destination.Add(ending);
        }

        return destination.Count - before;
    }

    /// <summary>Fills the token list with the target tokens of the draft's text, aligned with the committed text's tail.</summary>
    private bool TokenizeAligned(IReadOnlyList<int> committed)
    {
        // The window: text tokens at the end of the committed ones, starting on a character boundary.
        var target = _vocabulary.Target;
        int n = committed.Count;
        int k = n;
        while (k > 0 && n - k < LookBehind && target.IsText(committed[k - 1]))
        {
            k--;
        }

        while (k < n && !StartsCharacter(target.PieceOf(committed[k])))
        {
            k++;
        }

        _joint.Clear();
        for (int i = k; i < n; i++)
        {
            _joint.AddRange(target.PieceOf(committed[i]));
        }

        int window = _joint.Count;
        _joint.AddRange(_draftText);
        if (TryTokenize(CollectionsMarshal.AsSpan(_joint)) && StartsWith(_tokens, committed, k, n))
        {
            _tokens.RemoveRange(0, n - k);
            return true;
        }

        // The joint tokenises across the boundary (the draft finished a word the target had begun): the draft's
        // text alone, when the committed text ends on a character boundary.
        return CompleteLength(CollectionsMarshal.AsSpan(_joint)[..window]) == window
            && TryTokenize(CollectionsMarshal.AsSpan(_draftText));
    }

    private bool TryTokenize(ReadOnlySpan<byte> text)
    {
        _tokens.Clear();
        if (!Utf8.IsValid(text))
        {
            return false;
        }

        _vocabulary.TargetTokenizer!.Tokenize(Encoding.UTF8.GetString(text), _tokens);
        foreach (int token in _tokens)
        {
            if ((uint)token >= (uint)_vocabulary.Target.Count)
            {
                throw new InvalidOperationException($"The target's tokenizer returned token {token}, outside its vocabulary of {_vocabulary.Target.Count}.");
            }
        }

        return true;
    }

    private static bool StartsWith(List<int> tokens, IReadOnlyList<int> committed, int from, int to)
    {
        if (tokens.Count < to - from)
        {
            return false;
        }

        for (int i = from; i < to; i++)
        {
            if (tokens[i - from] != committed[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Length of the longest prefix of <paramref name="bytes"/> that does not end inside a character.</summary>
    private static int CompleteLength(ReadOnlySpan<byte> bytes)
    {
        int back = 0;
        while (back < 3 && back < bytes.Length && (bytes[^(back + 1)] & 0xC0) == 0x80)
        {
            back++;
        }

        if (back == bytes.Length)
        {
            return bytes.Length;
        }

        byte lead = bytes[^(back + 1)];
        int continuation = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
        return continuation > back ? bytes.Length - back - 1 : bytes.Length;
    }

    private static bool StartsCharacter(ReadOnlySpan<byte> piece) => piece.IsEmpty || (piece[0] & 0xC0) != 0x80;
}
