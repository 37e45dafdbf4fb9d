namespace SpecAI.Extensions.Judge;

/// <summary>
/// A position where the draft's token differs from the target's own (AutoJudge mining, Garipov et al. 2025,
/// arXiv:2504.20039): an equivalence check decides whether the draft token leaves the answer unchanged.
/// </summary>
/// <param name="Context">The prompt and the target's response before the position.</param>
/// <param name="TargetToken">The target's own token there.</param>
/// <param name="DraftToken">The draft's token there.</param>
/// <param name="TargetContinuation">The target's own response after <paramref name="TargetToken"/> (as far as it was generated).</param>
public sealed record JudgeMismatch(IReadOnlyList<int> Context, int TargetToken, int DraftToken, IReadOnlyList<int> TargetContinuation);
