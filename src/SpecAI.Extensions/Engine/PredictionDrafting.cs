using SpecAI.Extensions.Drafting;

namespace SpecAI.Extensions.Engine;

/// <summary>How a request's predicted output (<see cref="GenerationSettings.PredictedTokens"/>) becomes its first draft source.</summary>
internal static class PredictionDrafting
{
    /// <summary>
    /// The prediction's draft source for a request, or null when it has none or its mode drafts several branches
    /// (multi-draft) or is judged (judge). In <see cref="SpeculationMode.PromptLookup"/> it falls back to prompt
    /// lookup over the committed tokens; the draft model, where the mode uses one, fills the draft length below it.
    /// </summary>
    /// <param name="settings">The request.</param>
    /// <param name="vocabularySize">The target's vocabulary size (predicted tokens must lie below it).</param>
    /// <returns>The source, or null.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A predicted token lies outside the vocabulary.</exception>
    public static PredictionDraftSource? Create(GenerationSettings settings, int vocabularySize)
    {
        if (settings.PredictedTokens is not { Count: > 0 } predicted || settings.Mode is SpeculationMode.MultiDraft or SpeculationMode.Judge)
        {
            return null;
        }

        foreach (int token in predicted)
        {
            if ((uint)token >= (uint)vocabularySize)
            {
                throw new ArgumentOutOfRangeException(nameof(settings), token, $"{nameof(GenerationSettings.PredictedTokens)} holds token {token}, outside the target's vocabulary of {vocabularySize}.");
            }
        }

        return new PredictionDraftSource(predicted, settings.PromptLookupMaxNgram, settings.PromptLookupMinNgram, lookupInCommitted: settings.Mode == SpeculationMode.PromptLookup);
    }
}
