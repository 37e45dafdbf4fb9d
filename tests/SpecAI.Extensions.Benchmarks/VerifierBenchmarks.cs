using BenchmarkDotNet.Attributes;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Benchmarks;

/// <summary>
/// Verification alone: one <see cref="NodeVerifier.Verify"/> call (one draft-tree node) per operation for every
/// multi-candidate verifier, at vocabulary V and k candidates, on distributions prepared in advance (dense: T = 1, no
/// truncation). Each operation verifies the next of <see cref="RandomNodes.Count"/> pre-built random nodes.
/// </summary>
[MemoryDiagnoser]
public class VerifierBenchmarks
{
    private static readonly TypicalVerifier TypicalVerifierInstance = new();
    private readonly Dictionary<VerifierKind, RandomNodes> _nodes = new();
    private NodeVerifier _verifier = null!;
    private SeededRandomSource _random = new(7);
    private int _next;

    /// <summary>Vocabulary size.</summary>
    [Params(32_000, 152_064)]
    public int V { get; set; }

    /// <summary>Candidates per node (drafts alive).</summary>
    [Params(2, 4)]
    public int K { get; set; }

    /// <summary>Builds the nodes for every verifier's draft scheme.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _verifier = new NodeVerifier(V);
        _random = new SeededRandomSource(7);
        foreach (var verifier in Verifiers())
        {
            _nodes[verifier.Kind] = RandomNodes.Create(V, K, verifier.Scheme);
        }
    }

    /// <summary>SpecTr K-SEQ.</summary>
    [Benchmark]
    public int KSeq() => Run(KSeqVerifier.Instance);

    /// <summary>Recursive rejection sampling (with replacement).</summary>
    [Benchmark]
    public int RecursiveRejection() => Run(RecursiveRejectionVerifier.Instance);

    /// <summary>Recursive rejection sampling without replacement.</summary>
    [Benchmark]
    public int RecursiveRejectionWithoutReplacement() => Run(RecursiveRejectionWithoutReplacementVerifier.Instance);

    /// <summary>Top-k (deterministic candidates).</summary>
    [Benchmark]
    public int TopK() => Run(TopKVerifier.Instance);

    /// <summary>Greedy-draft (k-1 deterministic plus one sampled).</summary>
    [Benchmark]
    public int GreedyDraft() => Run(GreedyDraftVerifier.Instance);

    /// <summary>Typical acceptance (lossy).</summary>
    [Benchmark]
    public int Typical() => Run(TypicalVerifierInstance);

    private static IEnumerable<ISpeculativeVerifier> Verifiers() =>
    [
        KSeqVerifier.Instance, RecursiveRejectionVerifier.Instance, RecursiveRejectionWithoutReplacementVerifier.Instance,
        TopKVerifier.Instance, GreedyDraftVerifier.Instance, TypicalVerifierInstance,
    ];

    private int Run(ISpeculativeVerifier verifier)
    {
        var nodes = _nodes[verifier.Kind];
        int i = _next++ & (RandomNodes.Count - 1);
        var draft = verifier.Scheme == DraftScheme.TopK ? null : nodes.Drafts[i];
        return _verifier.Verify(verifier, nodes.Targets[i], draft, nodes.Candidates[i], _random).Token;
    }
}
