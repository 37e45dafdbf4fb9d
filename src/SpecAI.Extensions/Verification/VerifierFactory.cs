using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>Maps a <see cref="VerifierKind"/> (and the sampling mode) to the verifier that implements it.</summary>
internal static class VerifierFactory
{
    /// <summary>Returns the verifier for a kind. At temperature 0 every lossless rule is greedy matching (<see cref="GreedyVerifier"/>); typical acceptance stays lossy.</summary>
    /// <param name="kind">The requested rule.</param>
    /// <param name="sampling">The sampling transforms of the request.</param>
    /// <returns>The verifier.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Unknown kind.</exception>
    /// <exception cref="InvalidOperationException"><see cref="VerifierKind.Lantern"/> above temperature 0: it needs the target's token embeddings (construct <see cref="LanternVerifier"/>).</exception>
    public static ISpeculativeVerifier Create(VerifierKind kind, SamplingOptions sampling)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        if (kind == VerifierKind.Typical)
        {
            return new TypicalVerifier();
        }

        if (sampling.IsGreedy)
        {
            return GreedyVerifier.Instance;
        }

        return kind switch
        {
            VerifierKind.Standard => StandardVerifier.Instance,
            VerifierKind.KSeq => KSeqVerifier.Instance,
            VerifierKind.RecursiveRejection => RecursiveRejectionVerifier.Instance,
            VerifierKind.RecursiveRejectionWithoutReplacement => RecursiveRejectionWithoutReplacementVerifier.Instance,
            VerifierKind.TopK => TopKVerifier.Instance,
            VerifierKind.GreedyDraft => GreedyDraftVerifier.Instance,
            VerifierKind.Lantern => throw new InvalidOperationException("The LANTERN verifier needs the target's token embeddings: construct a LanternVerifier (the engine does so from GenerationSettings.TokenEmbeddings)."),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Verifier '{kind}' is not available."),
        };
    }
}
