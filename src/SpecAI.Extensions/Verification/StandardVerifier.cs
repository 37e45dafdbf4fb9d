using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// Standard speculative sampling: one draft token per position, accepted with probability
/// <c>min(1, p(x) / q(x))</c>; at the first rejection a token is drawn from the residual
/// <c>norm(max(0, p - q))</c>; with no draft left, a bonus token is drawn from p. Lossless.
/// </summary>
/// <remarks>
/// Leviathan, Kalman &amp; Matias 2023 (arXiv:2211.17192); Chen et al. 2023 (arXiv:2302.01318).
/// Edge cases: q(x) = 0 rejects (x could not have been drafted); an empty <see cref="VerificationNode.Draft"/>
/// means a deterministic draft with one-hot q; zero residual mass (p == q up to rounding) falls back to p.
/// </remarks>
internal sealed class StandardVerifier : ISpeculativeVerifier
{
    /// <summary>The shared instance.</summary>
    public static StandardVerifier Instance { get; } = new();

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.Standard;

    /// <inheritdoc />
    public bool IsLossless => true;

    /// <inheritdoc />
    public DraftScheme Scheme => DraftScheme.Independent;

    /// <summary>Probability of accepting draft token <paramref name="token"/>: <c>min(1, p(x) / q(x))</c>, 0 when q(x) = 0.</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution; empty for a deterministic (one-hot) draft.</param>
    /// <param name="token">The draft token.</param>
    /// <returns>The acceptance probability.</returns>
    public static double AcceptanceProbability(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int token)
        => Accept(p[token], q.IsEmpty ? 1.0 : q[token]);

    /// <summary>Writes the residual <c>max(0, p - q)</c> (unnormalised) and returns its mass.</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution; empty for a deterministic draft of <paramref name="token"/>.</param>
    /// <param name="token">The rejected draft token (used for the one-hot case).</param>
    /// <param name="destination">Receives the residual.</param>
    /// <returns>The residual mass.</returns>
    public static double Residual(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int token, Span<double> destination)
    {
        if (!q.IsEmpty)
        {
            return Distribution.PositivePart(p, q, 1.0, destination);
        }

        p.CopyTo(destination);
        double mass = 1.0 - p[token];
        destination[token] = 0;
        return mass;
    }

    /// <inheritdoc />
    /// <remarks><c>sum_x min(p(x), q(x))</c> for one draft drawn from q; p(x) for a deterministic draft x.</remarks>
    public double ExpectedAcceptance(in VerificationNode node)
        => NodeWithoutDraftLaw.TryExpectedAcceptance(node, out double acceptance) ? acceptance
            : KSeqVerifier.Beta(Distribution.Scaled(node.Target, node.TargetScale), Distribution.Scaled(node.Draft, node.DraftScale), 1.0);

    /// <inheritdoc />
    public VerificationResult Verify(in VerificationNode node, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (node.Candidates.IsEmpty)
        {
            return VerificationResult.Recovered(random.NextCategorical(node.Target));
        }

        if (node.Candidates.Length != 1)
        {
            throw new ArgumentException($"The standard verifier takes one draft per position; got {node.Candidates.Length}. Use a multi-draft verifier.", nameof(node));
        }

        int x = node.Candidates[0];
        return random.NextBernoulli(AcceptanceProbability(node, x)) ? new VerificationResult(x, 0) : DrawResidual(node, x, random);
    }

    // Lazily normalised distributions: p(x) = Target[x] * TargetScale, q(x) = Draft[x] * DraftScale.
    internal static double AcceptanceProbability(in VerificationNode node, int x)
        => Accept(node.Target[x] * node.TargetScale, node.Draft.IsEmpty ? 1.0 : node.Draft[x] * node.DraftScale);

    // The token after rejecting x, from the residual divided by TargetScale, max(0, Target - (sq / sp) Draft): the same law.
    internal static VerificationResult DrawResidual(in VerificationNode node, int x, IRandomSource random)
    {
        Span<double> residual = node.Scratch[..node.Target.Length];
        if (node.Draft.IsEmpty)
        {
            node.Target.CopyTo(residual);
            residual[x] = 0;
            return VerificationResult.Recovered(random.NextCategorical(Distribution.Mass(residual) > 0 ? residual : node.Target));
        }

        // Drawn by its block sums and then inside one block formed again: the residual is never written out.
        int token = Distribution.SamplePositivePart(node.Target, node.Draft, node.DraftScale / node.TargetScale, random);
        return VerificationResult.Recovered(token >= 0 ? token : random.NextCategorical(node.Target));
    }

    // The rule: min(1, p(x) / q(x)); q(x) = 0 rejects (x could not have been drafted).
    private static double Accept(double px, double qx) => qx <= 0 ? 0 : Math.Min(1.0, px / qx);
}
