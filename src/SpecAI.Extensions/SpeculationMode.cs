namespace SpecAI.Extensions;

/// <summary>Where draft tokens come from.</summary>
public enum SpeculationMode
{
    /// <summary>No speculation: plain autoregressive decoding of the target (the baseline).</summary>
    None,

    /// <summary>A single chain of tokens from the draft model.</summary>
    DraftModel,

    /// <summary>Several drafts from the draft model, verified together as a tree in one target batch.</summary>
    MultiDraft,

    /// <summary>
    /// Drafts copied from matching n-grams of the prompt and the text so far; no draft model needed. With
    /// <see cref="Engine.GenerationSettings.CombineLookupWithDraftModel"/> and a draft model, the model fills the rest of the draft length.
    /// </summary>
    PromptLookup,

    /// <summary>Judge decoding (Bachmann et al. 2025): a trained head may keep drafts the standard rule rejects. LOSSY.</summary>
    Judge,
}
