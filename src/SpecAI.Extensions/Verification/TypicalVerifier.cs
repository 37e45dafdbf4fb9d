using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// Typical acceptance (Medusa; Cai et al. 2024, arXiv:2401.10774). LOSSY: the committed text does not
/// follow the target's law; it trades exactness for longer accepted runs.
/// </summary>
/// <remarks>
/// Rule: accept candidate x iff <c>p(x) &gt; min(epsilon, delta * exp(-H(p)))</c>, candidates tried in
/// order; if none passes, draw the token from p. Defaults epsilon 0.09, delta 0.3 (the paper's values).
/// </remarks>
internal sealed class TypicalVerifier : ISpeculativeVerifier
{
    /// <summary>Creates a verifier.</summary>
    /// <param name="epsilon">Hard threshold on p(x).</param>
    /// <param name="delta">Entropy-scaled threshold factor.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is not in (0, 1].</exception>
    public TypicalVerifier(double epsilon = 0.09, double delta = 0.3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epsilon);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(epsilon, 1.0);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(delta);
        Epsilon = epsilon;
        Delta = delta;
    }

    /// <summary>Hard threshold on p(x).</summary>
    public double Epsilon { get; }

    /// <summary>Entropy-scaled threshold factor.</summary>
    public double Delta { get; }

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.Typical;

    /// <inheritdoc />
    public bool IsLossless => false;

    /// <inheritdoc />
    public DraftScheme Scheme => DraftScheme.Independent;

    /// <summary>The acceptance threshold <c>min(epsilon, delta * exp(-H(p)))</c>.</summary>
    /// <param name="p">Target distribution.</param>
    /// <returns>The threshold.</returns>
    public double Threshold(ReadOnlySpan<double> p) => Threshold(p, 1.0);

    /// <inheritdoc />
    public VerificationResult Verify(in VerificationNode node, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!node.Candidates.IsEmpty)
        {
            // p(x) = Target[x] * scale (lazily normalised).
            double scale = node.TargetScale;
            double threshold = Threshold(node.Target, scale);
            for (int i = 0; i < node.Candidates.Length; i++)
            {
                if (node.Target[node.Candidates[i]] * scale > threshold)
                {
                    return new VerificationResult(node.Candidates[i], i);
                }
            }
        }

        return VerificationResult.Recovered(random.NextCategorical(node.Target));
    }

    // min(epsilon, delta exp(-H(p))) for p = weights * scale.
    private double Threshold(ReadOnlySpan<double> weights, double scale) => Math.Min(Epsilon, Delta * Math.Exp(-Distribution.Entropy(weights, scale)));
}
