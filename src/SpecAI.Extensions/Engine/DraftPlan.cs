namespace SpecAI.Extensions.Engine;

/// <summary>What to draft in one step.</summary>
/// <param name="Length">Tokens per draft (0: speculation off, plain decoding).</param>
/// <param name="Count">Drafts per step (k).</param>
/// <param name="IsProbe">Whether this step re-probes speculation while it is switched off.</param>
internal readonly record struct DraftPlan(int Length, int Count, bool IsProbe);
