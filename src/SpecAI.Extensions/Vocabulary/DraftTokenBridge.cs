using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace SpecAI.Extensions.Vocabulary;

/// <summary>
/// One request's committed target tokens as the draft model's tokens: the list the draft's KV cache should hold.
/// </summary>
/// <remarks>
/// A committed target token the map knows is appended as its draft id. Any other text is re-tokenised with the
/// draft's tokenizer together with a few draft tokens before it (the look-behind window, moved back to a UTF-8
/// character boundary), so a word the target split differently is read by the draft as its own tokenizer
/// would write it; the draft tokens replaced there are trimmed from its KV cache by the usual common-prefix
/// check. Only complete UTF-8 is tokenised: a trailing partial character is carried as byte tokens until it
/// completes. Control tokens map by role or identical text and are never re-tokenised across. None of this
/// affects the law of the output, only how well the draft guesses.
/// </remarks>
internal sealed class DraftTokenBridge
{
    /// <summary>Draft tokens re-tokenised before the first text the map could not carry over.</summary>
    public const int LookBehind = 4;

    private readonly VocabularyBridge _vocabulary;
    private readonly bool _direct;
    private readonly List<int> _tokens = new();
    private readonly List<int> _ends = new();
    private readonly List<byte> _text = new();
    private readonly List<int> _scratch = new();
    private int _synced;
    private int _frozen;
    private int _dirty = -1;
    private int _provisional;

    public DraftTokenBridge(VocabularyBridge vocabulary)
    {
        _vocabulary = vocabulary;

        // Text drafting feeds the draft its own tokenisation of everything; the map is for token drafting.
        _direct = !vocabulary.DraftsText;
    }

    /// <summary>The draft tokens of the committed target tokens synchronised so far.</summary>
    public List<int> Tokens => _tokens;

    /// <summary>How many committed target tokens the list covers.</summary>
    public int SyncedCount => _synced;

    /// <summary>The request's penalties in the draft's vocabulary (text drafting drafts its most likely tokens); created by the draft source.</summary>
    public Sampling.LogitProcessor? DraftProcessor { get; set; }

    /// <summary>The draft tokens drafted this step (text drafting).</summary>
    public List<int> Drafted { get; } = new();

    /// <summary>Brings the list up to the first <paramref name="count"/> committed target tokens and returns it.</summary>
    /// <param name="committed">The request's committed target tokens (they only ever grow).</param>
    /// <param name="count">How many of them to cover.</param>
    /// <returns>The draft tokens.</returns>
    public List<int> Sync(IReadOnlyList<int> committed, int count)
    {
        if (_synced == 0 && count > 0 && _vocabulary.Draft.AddsBeginOfSequence)
        {
            Append(_vocabulary.Draft.BeginOfSequence, _text.Count);
            _frozen = _tokens.Count;
        }

        for (int i = Math.Min(_synced, count); i < count; i++)
        {
            Add(committed[i], first: i == 0);
        }

        _synced = Math.Max(_synced, count);
        Retokenize();
        return _tokens;
    }

    private void Add(int token, bool first)
    {
        var target = _vocabulary.Target;
        var map = _vocabulary.Map!;
        if (!target.IsText(token))
        {
            // A prompt's leading BOS becomes the draft's own convention (added above, or none).
            if (first && token == target.BeginOfSequence)
            {
                return;
            }

            Retokenize();
            int control = map.ToDraft(token);
            if (control >= 0)
            {
                Append(control, _text.Count);
            }

            _frozen = _tokens.Count;
            return;
        }

        var piece = target.PieceOf(token);
        int mapped = map.ToDraft(token);
        if (_direct && mapped >= 0 && _dirty < 0 && _provisional == 0)
        {
            _text.AddRange(piece);
            Append(mapped, _text.Count);
            return;
        }

        if (_dirty < 0)
        {
            _dirty = _tokens.Count;
        }

        _text.AddRange(piece);
    }

    /// <summary>Re-tokenises from the look-behind window before the first pending text to the end.</summary>
    private void Retokenize()
    {
        if (_dirty < 0)
        {
            return;
        }

        int k = Math.Max(_frozen, _dirty - LookBehind - _provisional);
        while (k > _frozen && !IsCharacterStart(StartOf(k)))
        {
            k--;
        }

        int start = StartOf(k);
        _tokens.RemoveRange(k, _tokens.Count - k);
        _ends.RemoveRange(k, _ends.Count - k);
        _dirty = -1;
        _provisional = 0;
        AppendText(CollectionsMarshal.AsSpan(_text)[start..], start);
    }

    /// <summary>Valid UTF-8 runs through the draft's tokenizer; invalid bytes and a trailing partial character as byte tokens.</summary>
    private void AppendText(ReadOnlySpan<byte> bytes, int offset)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            int run = i;
            while (run < bytes.Length && Rune.DecodeFromUtf8(bytes[run..], out _, out int used) == OperationStatus.Done)
            {
                run += used;
            }

            if (run > i)
            {
                TokenizeRun(bytes[i..run], offset + i);
                i = run;
                continue;
            }

            bool partial = Rune.DecodeFromUtf8(bytes[i..], out _, out int bad) == OperationStatus.NeedMoreData;
            for (int j = i; j < i + bad; j++)
            {
                AppendByte(bytes[j], offset + j + 1);
                _provisional += partial ? 1 : 0;
            }

            i += bad;
        }
    }

    private void TokenizeRun(ReadOnlySpan<byte> run, int offset)
    {
        _scratch.Clear();
        _vocabulary.DraftTokenizer!.Tokenize(Encoding.UTF8.GetString(run), _scratch);
        var draft = _vocabulary.Draft;
        int length = 0;
        foreach (int token in _scratch)
        {
            if ((uint)token >= (uint)draft.Count)
            {
                throw new InvalidOperationException($"The draft's tokenizer returned token {token}, outside its vocabulary of {draft.Count}.");
            }

            length += draft.PieceOf(token).Length;
        }

        // A tokenizer that normalises text (its pieces do not spell the run) gives no token boundaries to
        // re-tokenise from: the run is kept whole.
        bool spelled = length == run.Length;
        int end = offset;
        foreach (int token in _scratch)
        {
            end += spelled ? draft.PieceOf(token).Length : 0;
            Append(token, spelled ? end : offset + run.Length);
        }

        if (!spelled)
        {
            _frozen = _tokens.Count;
        }
    }

    private void AppendByte(byte value, int end)
    {
        int token = _vocabulary.DraftByteToken(value);
        if (token >= 0)
        {
            Append(token, end);
        }
        else if (_ends.Count > _frozen)
        {
            // No token for this byte: the previous token's span absorbs it, so a later window still starts before it.
            _ends[^1] = end;
        }
    }

    private void Append(int token, int end)
    {
        _tokens.Add(token);
        _ends.Add(end);
    }

    private int StartOf(int index) => index == 0 ? 0 : _ends[index - 1];

    private bool IsCharacterStart(int offset) => offset >= _text.Count || (_text[offset] & 0xC0) != 0x80;
}
