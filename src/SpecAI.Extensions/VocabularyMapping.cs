namespace SpecAI.Extensions;

/// <summary>How a draft model whose vocabulary is not the target's drafts for it. Decided once, when the models load.</summary>
/// <remarks>
/// Every mapping is lossless with every lossless verifier, at any temperature: the draft's proposals are
/// verified against the exact law they were drawn from (token-level intersection) or as deterministic drafts
/// (text). Only the speed differs: a draft whose tokens the target shares drafts best.
/// </remarks>
public enum VocabularyMapping
{
    /// <summary>
    /// Identical vocabularies draft as they are; a padded or near-identical pair (llama.cpp's rule) and a pair
    /// whose draft holds at least half of the target's text tokens use <see cref="Intersection"/>; any other pair
    /// uses <see cref="Text"/>.
    /// </summary>
    Auto,

    /// <summary>Only identical vocabularies (same size, same token texts); any other pair is refused (the chat client throws <c>IncompatibleDraftModelException</c>).</summary>
    Exact,

    /// <summary>
    /// Token-level intersection (TLI, Timor et al., ICML 2025, arXiv:2502.05202): the draft's distribution restricted
    /// to the tokens whose text both vocabularies hold, renormalised and mapped to target ids. Refused when no token
    /// text is shared.
    /// </summary>
    Intersection,

    /// <summary>
    /// String-level exact match (SLEM, Timor et al. 2025): the draft generates text in its own vocabulary, the text is
    /// re-tokenised with the target's tokenizer and verified as a deterministic draft. Works for any two tokenizers.
    /// </summary>
    Text,
}
