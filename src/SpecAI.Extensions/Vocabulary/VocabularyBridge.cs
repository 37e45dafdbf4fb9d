using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace SpecAI.Extensions.Vocabulary;

/// <summary>
/// How a draft model with its own vocabulary drafts for a target: the compatibility decided at load, the token
/// map, and both tokenizers. Give it to <see cref="Drafting.ModelDraftSource"/>.
/// </summary>
/// <remarks>
/// <para>Padded and intersecting vocabularies draft in the target's token space: the draft's logits are
/// projected onto target ids (<see cref="VocabularyMap.ProjectLogits"/>), then the request's usual sampling
/// transforms and candidate sampling run there, so every verifier sees the exact q each draft was drawn from.</para>
/// <para>Text drafting (SLEM) lets the draft write text in its own vocabulary; the text is re-tokenised with
/// the target's tokenizer into a single deterministic draft (one-hot q), which every lossless verifier accepts
/// by exact match of the target's own samples.</para>
/// <para>In both cases the committed target tokens reach the draft as its own tokens: mapped one by one where
/// the map allows, otherwise re-tokenised as text over a short look-behind window.</para>
/// </remarks>
internal sealed class VocabularyBridge
{
    /// <summary>
    /// Share of the target's text tokens the draft must hold for <see cref="VocabularyMapping.Auto"/> to pick the
    /// intersection over text: the target's mass on tokens the draft lacks can never be accepted from an
    /// intersection draft, while text drafting reaches them through the target's own tokenizer.
    /// </summary>
    public const double MinimumIntersectionShare = 0.5;

    /// <summary>llama.cpp's limit on the size difference of near-identical vocabularies (common/speculative.cpp).</summary>
    public const int MaxPaddingDifference = 128;

    /// <summary>Ids below this may differ between near-identical vocabularies (llama.cpp's rule).</summary>
    public const int PaddedRuleFirstId = 5;

    private readonly int[] _draftByteTokens = new int[256];

    private VocabularyBridge(VocabularyCompatibility compatibility, TokenVocabulary target, TokenVocabulary draft, VocabularyMap? map, ITextTokenizer? targetTokenizer, ITextTokenizer? draftTokenizer)
    {
        Compatibility = compatibility;
        Target = target;
        Draft = draft;
        Map = map;
        TargetTokenizer = targetTokenizer;
        DraftTokenizer = draftTokenizer;
        Array.Fill(_draftByteTokens, -1);
        for (int d = draft.Count - 1; d >= 0; d--)
        {
            // Lowest id wins; a byte token over a normal one.
            var piece = draft.PieceOf(d);
            if (piece.Length == 1 && draft.IsText(d) && (_draftByteTokens[piece[0]] < 0 || draft.KindOf(d) == TokenKind.Byte || draft.KindOf(_draftByteTokens[piece[0]]) != TokenKind.Byte))
            {
                _draftByteTokens[piece[0]] = d;
            }
        }

        TextConverter = compatibility.Kind == VocabularyCompatibilityKind.Text ? new TextDraftConverter(this) : null;
    }

    /// <summary>What was decided, and why.</summary>
    public VocabularyCompatibility Compatibility { get; }

    /// <summary>The target's vocabulary.</summary>
    public TokenVocabulary Target { get; }

    /// <summary>The draft's vocabulary.</summary>
    public TokenVocabulary Draft { get; }

    /// <summary>The token map; null for identical vocabularies.</summary>
    public VocabularyMap? Map { get; }

    /// <summary>The target's tokenizer (re-tokenises the draft's text in <see cref="VocabularyCompatibilityKind.Text"/>).</summary>
    public ITextTokenizer? TargetTokenizer { get; }

    /// <summary>The draft's tokenizer (feeds it committed text its vocabulary has no token for).</summary>
    public ITextTokenizer? DraftTokenizer { get; }

    /// <summary>Whether the draft drafts text (SLEM) rather than tokens.</summary>
    public bool DraftsText => Compatibility.Kind == VocabularyCompatibilityKind.Text;

    /// <summary>Whether draft ids differ from target ids in any way (everything but identical vocabularies).</summary>
    public bool IsMapped => Compatibility.Kind != VocabularyCompatibilityKind.Identical;

    internal TextDraftConverter? TextConverter { get; }

    /// <summary>
    /// Decides how the draft drafts for the target under <paramref name="mapping"/> and builds the bridge, or says
    /// why it cannot.
    /// </summary>
    /// <param name="target">The target's vocabulary.</param>
    /// <param name="draft">The draft's vocabulary.</param>
    /// <param name="targetTokenizer">The target's tokenizer; needed for text drafting.</param>
    /// <param name="draftTokenizer">The draft's tokenizer; needed for every mapped kind (committed text the draft has no token for).</param>
    /// <param name="mapping">What the user allows.</param>
    /// <param name="bridge">The bridge, when the pair can work.</param>
    /// <param name="failure">Why the pair cannot work under <paramref name="mapping"/>: for <see cref="VocabularyMapping.Exact"/>, the size difference or the first differing token.</param>
    /// <returns>Whether the pair can work.</returns>
    public static bool TryCreate(
        TokenVocabulary target,
        TokenVocabulary draft,
        ITextTokenizer? targetTokenizer,
        ITextTokenizer? draftTokenizer,
        VocabularyMapping mapping,
        [NotNullWhen(true)] out VocabularyBridge? bridge,
        [NotNullWhen(false)] out string? failure)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(draft);
        if (!Enum.IsDefined(mapping))
        {
            throw new ArgumentOutOfRangeException(nameof(mapping), mapping, "Unknown vocabulary mapping.");
        }

        bridge = null;
        string? difference = FirstDifference(target, draft);
        if (difference is null && mapping != VocabularyMapping.Text)
        {
            failure = null;
            bridge = new VocabularyBridge(Decided(VocabularyCompatibilityKind.Identical, target, draft, target.Count, "the vocabularies are identical"), target, draft, null, targetTokenizer, draftTokenizer);
            return true;
        }

        if (mapping == VocabularyMapping.Exact)
        {
            failure = difference!;
            return false;
        }

        var map = VocabularyMap.Create(target, draft);
        var (kind, reason) = Choose(target, draft, map, mapping, difference);
        if (kind is null)
        {
            failure = reason;
            return false;
        }

        if (draftTokenizer is null || (kind == VocabularyCompatibilityKind.Text && targetTokenizer is null))
        {
            failure = $"{(draftTokenizer is null ? "the draft's" : "the target's")} tokenizer is needed for {kind} mapping and none was given";
            return false;
        }

        failure = null;
        bridge = new VocabularyBridge(Decided(kind.Value, target, draft, map.SharedCount, reason), target, draft, map, targetTokenizer, draftTokenizer);
        return true;
    }

    /// <summary>The draft token whose piece is exactly byte <paramref name="value"/>, or -1.</summary>
    internal int DraftByteToken(byte value) => _draftByteTokens[value];

    /// <summary>Per-request state that keeps the draft-token list of the committed tokens.</summary>
    internal DraftTokenBridge CreateTokenBridge() => new(this);

    private static (VocabularyCompatibilityKind? Kind, string Reason) Choose(TokenVocabulary target, TokenVocabulary draft, VocabularyMap map, VocabularyMapping mapping, string? difference)
    {
        bool hasText = map.DraftTextCount > 0 && map.TargetTextCount > 0;
        if (mapping == VocabularyMapping.Text)
        {
            return hasText
                ? (VocabularyCompatibilityKind.Text, difference is null ? "text drafting was requested (the vocabularies are identical)" : $"text drafting was requested ({difference})")
                : (null, "a vocabulary has no text tokens, so text cannot pass between the models");
        }

        if (map.SharedTextCount == 0)
        {
            return mapping == VocabularyMapping.Intersection
                ? (null, "no token text is shared by the two vocabularies, so the intersection is empty; use VocabularyMapping Text")
                : hasText
                    ? (VocabularyCompatibilityKind.Text, "no token text is shared by the two vocabularies")
                    : (null, "no token text is shared and a vocabulary has no text tokens, so neither tokens nor text can pass between the models");
        }

        double covered = (double)map.SharedTextCount / map.TargetTextCount;
        string share = string.Create(CultureInfo.InvariantCulture, $"the draft has {map.SharedTextCount} of the target's {map.TargetTextCount} text tokens ({100 * covered:F1}%; {map.DraftTextCount} of its own)");
        if (IsNearIdentical(target, draft))
        {
            return (VocabularyCompatibilityKind.Padded, $"near-identical vocabularies ({difference}); {share}");
        }

        if (mapping == VocabularyMapping.Intersection || covered >= MinimumIntersectionShare)
        {
            return (VocabularyCompatibilityKind.Intersection, $"{difference}; {share}");
        }

        return (VocabularyCompatibilityKind.Text, string.Create(CultureInfo.InvariantCulture, $"{difference}; {share}, below {100 * MinimumIntersectionShare:F0}%"));
    }

    /// <summary>llama.cpp's rule for near-identical pairs: same tokenizer, BOS/EOS agree where added, sizes within 128, pieces equal from id 5 up to the smaller size.</summary>
    private static bool IsNearIdentical(TokenVocabulary target, TokenVocabulary draft)
    {
        if (target.TokenizerModel != draft.TokenizerModel
            || Math.Abs(target.Count - draft.Count) > MaxPaddingDifference
            || target.AddsBeginOfSequence != draft.AddsBeginOfSequence
            || target.AddsEndOfSequence != draft.AddsEndOfSequence
            || (target.AddsBeginOfSequence && target.BeginOfSequence != draft.BeginOfSequence)
            || (target.AddsEndOfSequence && target.EndOfSequence != draft.EndOfSequence))
        {
            return false;
        }

        int shared = Math.Min(target.Count, draft.Count);
        for (int i = PaddedRuleFirstId; i < shared; i++)
        {
            if (!target.PieceOf(i).SequenceEqual(draft.PieceOf(i)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Null when identical; else the size difference or the first token whose piece differs.</summary>
    private static string? FirstDifference(TokenVocabulary target, TokenVocabulary draft)
    {
        if (target.Count != draft.Count)
        {
            return $"vocabulary sizes differ ({target.Count} vs {draft.Count})";
        }

        for (int i = 0; i < target.Count; i++)
        {
            if (!target.PieceOf(i).SequenceEqual(draft.PieceOf(i)))
            {
                return $"token {i} is '{Show(target, i)}' in the target but '{Show(draft, i)}' in the draft";
            }
        }

        return null;
    }

    private static string Show(TokenVocabulary vocabulary, int token) => vocabulary.KindOf(token) switch
    {
        TokenKind.Byte => $"<0x{Convert.ToHexString(vocabulary.PieceOf(token))}>",
        TokenKind.Unused => "(unused)",
        _ => Encoding.UTF8.GetString(vocabulary.PieceOf(token)),
    };

    private static VocabularyCompatibility Decided(VocabularyCompatibilityKind kind, TokenVocabulary target, TokenVocabulary draft, int shared, string reason) =>
        new(kind, target.Count, draft.Count, shared, reason);
}
