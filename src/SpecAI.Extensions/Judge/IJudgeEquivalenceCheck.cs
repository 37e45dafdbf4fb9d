namespace SpecAI.Extensions.Judge;

/// <summary>
/// Decides whether a mismatching draft token is acceptable because the answer stays the same with it (automatic
/// labelling after AutoJudge, Garipov et al. 2025, arXiv:2504.20039). Plug in a task-specific check (e.g. compare the
/// final answer of a maths problem); <c>GreedyContinuationEquivalence</c> is the default.
/// </summary>
public interface IJudgeEquivalenceCheck
{
    /// <summary>Whether the draft token leaves the answer unchanged.</summary>
    /// <param name="mismatch">The mined mismatch.</param>
    /// <param name="target">The target model, for continuations and text.</param>
    /// <returns>True when the draft token is an acceptable substitute.</returns>
    bool IsEquivalent(JudgeMismatch mismatch, ITargetContinuation target);
}
