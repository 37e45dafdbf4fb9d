namespace SpecAI.Extensions.Superposed;

/// <summary>What a Superposed Decoding request produced.</summary>
/// <param name="Suggestions">The k suggestions, best score first.</param>
/// <param name="PromptTokens">Prompt length.</param>
/// <param name="CachedPromptTokens">Prompt tokens found in the KV cache (not decoded again).</param>
/// <param name="Passes">Model passes after the prompt's (one per superposed position).</param>
internal sealed record SuperposedResult(IReadOnlyList<SuperposedSuggestion> Suggestions, int PromptTokens, int CachedPromptTokens, int Passes);
