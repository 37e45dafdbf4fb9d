using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// Greedy draft sampling (Hu et al. 2025, "Towards Optimal Multi-draft Speculative Decoding",
/// arXiv:2502.18779): the n-1 most likely draft tokens T deterministically, plus one token y sampled from
/// q restricted to the rest, <c>q' = q 1[x not in T] / (1 - q(T))</c>. Lossless, and optimal for that draft law.
/// </summary>
/// <remarks>
/// <para>Rule: accept y with <c>min(1, p(y) / q'(y))</c>; otherwise draw from
/// <c>r ∝ p on T, max(0, p - q') elsewhere</c>; a draw that lands in T commits that drafted candidate.</para>
/// <para>Proof of exactness: rejection has probability <c>Z = 1 - sum_(x not in T) min(p, q')</c>, which is also
/// the mass of r (<c>p(T) + sum_(x not in T) max(0, p - q')</c>). So x in T is committed with <c>Z p(x) / Z = p(x)</c>,
/// and x outside T with <c>min(p(x), q'(x)) + max(0, p(x) - q'(x)) = p(x)</c>. A rejected y has p(y) &lt; q'(y), so
/// r(y) = 0. The probability that a drafted token is committed is <c>p(T) + sum_(x not in T) min(p, q')</c>, which
/// equals the optimum <c>min_G 1 + p(G) - Q(all drafts in G)</c> for this draft law (take G = T plus the tokens
/// where q' &gt; p). This is the rule DESIGN.md section 3 item 5 states; the exact enumeration tests confirm it.</para>
/// <para>The candidates at a node are T in order, then y (the sampler's order). With one candidate T is empty
/// and the rule is standard speculative sampling. When q has fewer than n tokens of positive mass the sampler
/// drafts them all deterministically; treating the last as "sampled" from the one-hot q' is then still exact.
/// Edge cases: y in T or q'(y) = 0 rejects; zero residual mass (rounding) falls back to p; an empty q
/// (deterministic candidates) is verified by <see cref="TopKVerifier.VerifyDeterministic"/>.</para>
/// </remarks>
internal sealed class GreedyDraftVerifier : ISpeculativeVerifier
{
    /// <summary>The shared instance.</summary>
    public static GreedyDraftVerifier Instance { get; } = new();

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.GreedyDraft;

    /// <inheritdoc />
    public bool IsLossless => true;

    /// <inheritdoc />
    public DraftScheme Scheme => DraftScheme.GreedyDraft;

    /// <summary>The q mass outside the deterministic tokens: <c>1 - q(T)</c>, summed directly.</summary>
    /// <param name="q">Draft distribution.</param>
    /// <param name="top">The deterministic tokens T (distinct).</param>
    /// <returns>The mass q' is normalised by.</returns>
    public static double RestMass(ReadOnlySpan<double> q, ReadOnlySpan<int> top)
    {
        double mass = Distribution.Mass(q);
        foreach (int t in top)
        {
            mass -= q[t];
        }

        return Math.Max(0, mass);
    }

    /// <summary>Probability of accepting the sampled candidate y: <c>min(1, p(y) / q'(y))</c>; 0 when y is in T or q'(y) = 0.</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="top">The deterministic tokens T.</param>
    /// <param name="sampled">y.</param>
    /// <returns>The acceptance probability.</returns>
    public static double AcceptanceProbability(ReadOnlySpan<double> p, ReadOnlySpan<double> q, ReadOnlySpan<int> top, int sampled)
        => Accept(p[sampled], q, top, sampled);

    /// <summary>Writes the residual <c>p on T, max(0, p - q') elsewhere</c> (unnormalised) and returns its mass.</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="top">The deterministic tokens T.</param>
    /// <param name="destination">Receives the residual.</param>
    /// <returns>The residual mass.</returns>
    public static double Residual(ReadOnlySpan<double> p, ReadOnlySpan<double> q, ReadOnlySpan<int> top, Span<double> destination)
        => Residual(p, q, top, 1.0, destination);

    // The residual divided by sp for p = Target * sp: p on T, max(0, p - q' / sp) elsewhere.
    private static double Residual(ReadOnlySpan<double> p, ReadOnlySpan<double> q, ReadOnlySpan<int> top, double sp, Span<double> destination)
    {
        double rest = RestMass(q, top);
        double mass = rest > 0 ? Distribution.PositivePart(p, q, 1.0 / (rest * sp), destination) : CopyOf(p, destination);
        foreach (int t in top)
        {
            mass += p[t] - destination[t];
            destination[t] = p[t];
        }

        return mass;
    }

    /// <summary>Probability that a drafted token is committed, in expectation over y: <c>p(T) + sum_(x not in T) min(p(x), q'(x))</c> (also the optimum).</summary>
    /// <param name="p">Target distribution.</param>
    /// <param name="q">Draft distribution.</param>
    /// <param name="top">The deterministic tokens T.</param>
    /// <returns>The acceptance probability.</returns>
    public static double ExpectedAcceptance(ReadOnlySpan<double> p, ReadOnlySpan<double> q, ReadOnlySpan<int> top)
    {
        double rest = RestMass(q, top);
        double accepted = 0;
        for (int x = 0; x < p.Length; x++)
        {
            accepted += top.IndexOf(x) >= 0 ? p[x] : rest > 0 ? Math.Min(p[x], q[x] / rest) : 0;
        }

        return Math.Min(1.0, accepted);
    }

    /// <inheritdoc />
    /// <remarks>The deterministic tokens are all candidates but the last (the sampled one); equals the optimum (see <see cref="ExpectedAcceptance(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{int})"/>).</remarks>
    public double ExpectedAcceptance(in VerificationNode node)
        => NodeWithoutDraftLaw.TryExpectedAcceptance(node, out double acceptance) ? acceptance
            : ExpectedAcceptance(Distribution.Scaled(node.Target, node.TargetScale), Distribution.Scaled(node.Draft, node.DraftScale), node.Candidates[..^1]);

    /// <inheritdoc />
    public VerificationResult Verify(in VerificationNode node, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (NodeWithoutDraftLaw.TryVerify(node, random, out var settled))
        {
            return settled;
        }

        // p(x) = Target[x] * sp (lazily normalised); q' = q / q(rest) does not depend on q's scale.
        ReadOnlySpan<double> p = node.Target;
        double sp = node.TargetScale;
        ReadOnlySpan<int> top = node.Candidates[..^1];
        int y = node.Candidates[^1];
        if (random.NextBernoulli(Accept(p[y] * sp, node.Draft, top, y)))
        {
            return new VerificationResult(y, node.Candidates.Length - 1);
        }

        double mass = Residual(p, node.Draft, top, sp, node.Scratch);
        ReadOnlySpan<double> residual = mass > 0 ? node.Scratch[..p.Length] : p;
        int token = random.NextCategorical(residual);
        int index = top.IndexOf(token);
        return index >= 0 ? new VerificationResult(token, index) : VerificationResult.Recovered(token);
    }

    // The rule for the sampled y: min(1, p(y) / q'(y)) with q' = q / q(rest); y in T, q'(y) = 0 or no rest rejects.
    private static double Accept(double py, ReadOnlySpan<double> q, ReadOnlySpan<int> top, int sampled)
    {
        double rest = RestMass(q, top);
        double qy = q[sampled];
        if (top.IndexOf(sampled) >= 0 || qy <= 0 || rest <= 0)
        {
            return 0;
        }

        return Math.Min(1.0, py * rest / qy);
    }

    private static double CopyOf(ReadOnlySpan<double> p, Span<double> destination)
    {
        p.CopyTo(destination);
        return Distribution.Mass(p);
    }
}
