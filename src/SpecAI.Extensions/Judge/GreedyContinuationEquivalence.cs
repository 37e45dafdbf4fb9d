namespace SpecAI.Extensions.Judge;

/// <summary>
/// The default equivalence check: after the draft token, the target's greedy continuation must equal its own
/// continuation after its own token for the next <see cref="Tokens"/> tokens (fewer when its own answer ends sooner).
/// </summary>
internal sealed class GreedyContinuationEquivalence : IJudgeEquivalenceCheck
{
    /// <summary>Creates the check.</summary>
    /// <param name="tokens">Continuation tokens that must agree (N), at least 1.</param>
    public GreedyContinuationEquivalence(int tokens = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        Tokens = tokens;
    }

    /// <summary>Continuation tokens that must agree.</summary>
    public int Tokens { get; }

    /// <inheritdoc />
    public bool IsEquivalent(JudgeMismatch mismatch, ITargetContinuation target)
    {
        ArgumentNullException.ThrowIfNull(mismatch);
        ArgumentNullException.ThrowIfNull(target);
        int n = Math.Min(Tokens, mismatch.TargetContinuation.Count);
        if (n == 0)
        {
            // The target's answer ended at its own token: the draft token would have to end it too.
            return false;
        }

        var context = new List<int>(mismatch.Context.Count + 1);
        context.AddRange(mismatch.Context);
        context.Add(mismatch.DraftToken);
        var continuation = target.Continue(context, n);
        if (continuation.Count < n)
        {
            return false;
        }

        for (int i = 0; i < n; i++)
        {
            if (continuation[i] != mismatch.TargetContinuation[i])
            {
                return false;
            }
        }

        return true;
    }
}
