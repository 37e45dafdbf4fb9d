using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Tests.TestSupport;

/// <summary>The exact law of one verified node: drafts drawn from q per a scheme, then verified, over every branch.</summary>
internal sealed record NodeLaw(double[] Law, double Accepted, double Drafted)
{
    /// <summary>Enumerates every draw of the k candidates and every branch of the verifier.</summary>
    public static NodeLaw Of(ISpeculativeVerifier verifier, DraftScheme scheme, double[] p, double[] q, int draftCount)
    {
        var law = new double[p.Length];
        double accepted = 0, drafted = 0;
        foreach (var ((token, isAccepted, inDrafts), probability) in EnumeratingRandomSource.Enumerate(random =>
                 {
                     var candidates = new int[draftCount];
                     int drawn = CandidateSampler.Sample(scheme, q, draftCount, random, candidates, new double[q.Length]);
                     var result = verifier.Verify(new VerificationNode(p, q, candidates.AsSpan(0, drawn), new double[p.Length]), random);
                     return (result.Token, result.IsAccepted, candidates.AsSpan(0, drawn).Contains(result.Token));
                 }))
        {
            law[token] += probability;
            accepted += isAccepted ? probability : 0;
            drafted += inDrafts ? probability : 0;
        }

        return new NodeLaw(law, accepted, drafted);
    }

    /// <summary>Total-variation distance between two laws.</summary>
    public static double TotalVariation(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return sum / 2;
    }
}
