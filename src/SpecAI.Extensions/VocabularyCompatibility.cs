namespace SpecAI.Extensions;

/// <summary>
/// How a draft model drafts for its target, decided once when the models load: available from the chat client
/// (<c>GetService(typeof(VocabularyCompatibility))</c>) and logged.
/// </summary>
/// <param name="Kind">Identical, padded, intersection or text.</param>
/// <param name="TargetVocabularySize">Tokens in the target's vocabulary.</param>
/// <param name="DraftVocabularySize">Tokens in the draft's vocabulary.</param>
/// <param name="SharedTokenCount">Tokens the draft can propose directly (same text in both vocabularies; control tokens only by role or identical text).</param>
/// <param name="Reason">Why this kind was chosen, in words.</param>
public sealed record VocabularyCompatibility(
    VocabularyCompatibilityKind Kind,
    int TargetVocabularySize,
    int DraftVocabularySize,
    int SharedTokenCount,
    string Reason)
{
    /// <summary>Whether the draft's token ids are the target's (no mapping at all).</summary>
    public bool IsIdentical => Kind == VocabularyCompatibilityKind.Identical;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Kind} (target {TargetVocabularySize} tokens, draft {DraftVocabularySize}, shared {SharedTokenCount}): {Reason}";
}
