using SpecAI.Extensions.Drafting;

namespace SpecAI.Extensions.Engine;

/// <summary>How a request's predicted output (<see cref="GenerationSettings.PredictedTokens"/>) joins the draft source of its mode.</summary>
internal static class PredictionDrafting
{
    /// <summary>
    /// The draft source for a request: the mode's own source when there is no prediction or the mode drafts
    /// several branches (multi-draft) or is judged (judge); otherwise the prediction, followed on its branch by
    /// the draft model in <see cref="SpeculationMode.DraftModel"/> (and in prompt lookup when combined with the
    /// model), with prompt lookup over the committed tokens as its fallback in <see cref="SpeculationMode.PromptLookup"/>.
    /// </summary>
    /// <param name="settings">The request.</param>
    /// <param name="modeSource">The source the mode picked (null when none).</param>
    /// <param name="draftModel">The engine's draft model (null when none).</param>
    /// <param name="vocabularySize">The target's vocabulary size (predicted tokens must lie below it).</param>
    /// <returns>The source to draft with (null when none).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A predicted token lies outside the vocabulary.</exception>
    public static IDraftSource? Select(GenerationSettings settings, IDraftSource? modeSource, IDraftSource? draftModel, int vocabularySize)
    {
        if (settings.PredictedTokens is not { Count: > 0 } predicted || settings.Mode is SpeculationMode.MultiDraft or SpeculationMode.Judge)
        {
            return modeSource;
        }

        foreach (int token in predicted)
        {
            if ((uint)token >= (uint)vocabularySize)
            {
                throw new ArgumentOutOfRangeException(nameof(settings), token, $"{nameof(GenerationSettings.PredictedTokens)} holds token {token}, outside the target's vocabulary of {vocabularySize}.");
            }
        }

        bool lookup = settings.Mode == SpeculationMode.PromptLookup;
        var prediction = new PredictionDraftSource(predicted, settings.PromptLookupMaxNgram, settings.PromptLookupMinNgram, lookupInCommitted: lookup);
        var rest = settings.Mode == SpeculationMode.DraftModel || (lookup && settings.CombineLookupWithDraftModel) ? draftModel : null;
        return rest is null ? prediction : new CombinedDraftSource(prediction, rest);
    }
}
