using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// Decides, at one node of the draft tree, which token the target commits next: one of the drafted
/// candidates (accepted) or a token of its own (recovered from the residual, or a bonus).
/// </summary>
/// <remarks>
/// The engine walks the tree from the root: at each node it calls <see cref="Verify"/> with the target
/// distribution p at that node, the draft distribution q the candidates were drawn from, and one
/// candidate per draft still alive (duplicates kept). After the verifier commits token y, every draft
/// whose candidate was y survives and the walk continues below y; when none survives, the step ends.
/// A single-chain draft is the special case of one candidate per node.
/// </remarks>
public interface ISpeculativeVerifier
{
    /// <summary>Which rule this is.</summary>
    VerifierKind Kind { get; }

    /// <summary>Whether the committed tokens follow the target's law exactly. Lossy verifiers say so here, in telemetry and in docs.</summary>
    bool IsLossless { get; }

    /// <summary>The draft scheme the candidates must come from for <see cref="IsLossless"/> to hold.</summary>
    DraftScheme Scheme { get; }

    /// <summary>Verifies the candidates at one node.</summary>
    /// <param name="node">The distributions and candidates at the node.</param>
    /// <param name="random">The request's random source.</param>
    /// <returns>The committed token and which candidate, if any, it accepted.</returns>
    VerificationResult Verify(in VerificationNode node, IRandomSource random);

    /// <summary>
    /// The probability that this rule accepts one of the candidates at <paramref name="node"/>, in expectation over the
    /// draft law of <see cref="Scheme"/> (the achieved side of the <c>OptimalAcceptance</c> diagnostic).
    /// </summary>
    /// <param name="node">The distributions and candidates at the node (scales honoured; <see cref="VerificationNode.Scratch"/> may be overwritten).</param>
    /// <returns>The acceptance probability; NaN when it is not known (the default, lossy rules, or no candidate).</returns>
    /// <remarks>A default member so that verifiers written outside this library keep compiling; the library's lossless rules each give their closed form.</remarks>
    double ExpectedAcceptance(in VerificationNode node) => double.NaN;

    /// <summary>
    /// Starts the walk of one draft tree (one engine step for one request): a rule with per-step state, such as a
    /// cap on lossy acceptances per step, resets it here. The default does nothing.
    /// </summary>
    /// <remarks>The engine calls this, then <see cref="Verify"/> once per node of the walk, then reads <see cref="LossyAcceptancesInStep"/>, all on its own thread.</remarks>
    void BeginStep()
    {
    }

    /// <summary>
    /// Tokens accepted since <see cref="BeginStep"/> that the lossless rule underneath had rejected (a lossy relaxation such as
    /// judge decoding); they are also counted as accepted. The default is 0.
    /// </summary>
    int LossyAcceptancesInStep => 0;

    /// <summary>
    /// The total variation distance between the relaxed target and the target at the node of the last <see cref="Verify"/>
    /// call, when this rule relaxed it there (LANTERN); NaN when it did not (the default).
    /// </summary>
    double LastRelaxationDistance => double.NaN;
}
