namespace SpecAI.Extensions.Verification;

/// <summary>The outcome of verifying one node.</summary>
/// <param name="Token">The token the target commits.</param>
/// <param name="AcceptedCandidate">Index of the accepted candidate, or -1 when the token was recovered or is a bonus.</param>
public readonly record struct VerificationResult(int Token, int AcceptedCandidate)
{
    /// <summary>Whether a drafted candidate was accepted.</summary>
    public bool IsAccepted => AcceptedCandidate >= 0;

    /// <summary>A token the target produced itself (residual or bonus).</summary>
    /// <param name="token">The token.</param>
    /// <returns>The result.</returns>
    public static VerificationResult Recovered(int token) => new(token, -1);
}
