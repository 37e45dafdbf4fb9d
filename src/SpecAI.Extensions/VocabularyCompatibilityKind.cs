namespace SpecAI.Extensions;

/// <summary>How a draft model's vocabulary relates to the target's, as decided at load.</summary>
public enum VocabularyCompatibilityKind
{
    /// <summary>Same size and the same token texts: the draft's tokens are the target's.</summary>
    Identical,

    /// <summary>
    /// Near-identical (llama.cpp's rule: same tokenizer, BOS/EOS agree where added, sizes differ by at most 128,
    /// texts equal from id 5 up to the smaller size), as when a converter pads to each config's vocabulary size.
    /// The draft never proposes an id the target lacks; a target token the draft lacks reaches the draft as text.
    /// </summary>
    Padded,

    /// <summary>Token-level intersection: the draft proposes only tokens whose text both vocabularies hold, mapped to target ids.</summary>
    Intersection,

    /// <summary>String-level exact match: the draft's text is re-tokenised with the target's tokenizer.</summary>
    Text,
}
