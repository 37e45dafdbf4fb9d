using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Verification;

/// <summary>
/// The two cases every multi-draft verifier settles the same way, stated once: no candidate (a bonus token
/// from p) and no draft law (deterministic candidates, one-hot q: the top-k rule is the exact one).
/// </summary>
internal static class NodeWithoutDraftLaw
{
    /// <summary>Verifies the node when it has no candidates or no draft distribution; otherwise returns false.</summary>
    public static bool TryVerify(in VerificationNode node, IRandomSource random, out VerificationResult result)
    {
        if (node.Candidates.IsEmpty)
        {
            result = VerificationResult.Recovered(random.NextCategorical(node.Target));
            return true;
        }

        if (node.Draft.IsEmpty)
        {
            result = TopKVerifier.VerifyDeterministic(node.Target, node.Candidates, node.Scratch, random);
            return true;
        }

        result = default;
        return false;
    }

    /// <summary>Expected acceptance when the node has no candidates (NaN: nothing to accept) or no draft law (<c>p(set of candidates)</c>, the top-k rule); otherwise returns false.</summary>
    public static bool TryExpectedAcceptance(in VerificationNode node, out double acceptance)
    {
        if (node.Candidates.IsEmpty)
        {
            acceptance = double.NaN;
            return true;
        }

        if (node.Draft.IsEmpty)
        {
            acceptance = TopKVerifier.AcceptanceProbability(Distribution.Scaled(node.Target, node.TargetScale), node.Candidates);
            return true;
        }

        acceptance = 0;
        return false;
    }
}
