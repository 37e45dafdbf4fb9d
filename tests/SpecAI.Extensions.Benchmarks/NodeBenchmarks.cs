using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Benchmarks;

/// <summary>
/// The managed work per draft-tree node as the engine does it, from raw logits: the target's logits turned into p
/// (T = 1, no truncation: the dense worst case) and the node verified against the draft's q, for the standard verifier
/// and K-SEQ / RRS without replacement at k = 2 and 4; the same with top-k 40 on both sides (sparse p and q: the work
/// runs over the union of the supports); the draft side's work per node (q from the draft's logits and one candidate
/// drawn); and the floor, one vectorised read of the logits.
/// </summary>
[MemoryDiagnoser]
public class NodeBenchmarks
{
    private readonly Dictionary<(VerifierKind, int), RandomNodes> _nodes = new();
    private readonly int[] _candidate = new int[1];
    private readonly Dictionary<(VerifierKind, int), RandomNodes> _sparse = new();
    private LogitProcessor _processor = null!;
    private LogitProcessor _topK = null!;
    private TokenDistribution _target = null!;
    private NodeVerifier _verifier = null!;
    private SeededRandomSource _random = new(7);
    private double[] _scratch = [];
    private int _next;

    /// <summary>Vocabulary size.</summary>
    [Params(32_000, 152_064, 248_320)]
    public int V { get; set; }

    /// <summary>Builds the logits, the draft distributions and the candidates.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _processor = new LogitProcessor(new SamplingOptions { Temperature = 1.0 });
        var topK = new SamplingOptions { Temperature = 1.0, TopK = 40 };
        _topK = new LogitProcessor(topK);
        _sparse[(VerifierKind.Standard, 1)] = RandomNodes.Create(V, 1, DraftScheme.Independent, topK);
        _sparse[(VerifierKind.KSeq, 4)] = RandomNodes.Create(V, 4, DraftScheme.Independent, topK);
        _target = new TokenDistribution(V);
        _verifier = new NodeVerifier(V);
        _random = new SeededRandomSource(7);
        _scratch = new double[V];
        _nodes[(VerifierKind.Standard, 1)] = RandomNodes.Create(V, 1, DraftScheme.Independent);
        foreach (int k in new[] { 2, 4 })
        {
            _nodes[(VerifierKind.KSeq, k)] = RandomNodes.Create(V, k, DraftScheme.Independent);
            _nodes[(VerifierKind.RecursiveRejectionWithoutReplacement, k)] = RandomNodes.Create(V, k, DraftScheme.WithoutReplacement);
        }
    }

    /// <summary>The floor: one vectorised pass that only reads the target's logits (their maximum).</summary>
    [Benchmark(Baseline = true)]
    public float Floor() => TensorPrimitives.Max<float>(_nodes[(VerifierKind.Standard, 1)].TargetLogits[_next++ & (RandomNodes.Count - 1)]);

    /// <summary>Draft side: q from the draft's logits, then one candidate drawn from it.</summary>
    [Benchmark]
    public int DraftNode()
    {
        var nodes = _nodes[(VerifierKind.Standard, 1)];
        int i = _next++ & (RandomNodes.Count - 1);
        _processor.Process(nodes.DraftLogits[i], [], 0, _target);
        CandidateSampler.Sample(DraftScheme.Independent, _target, 1, _random, _candidate, _scratch);
        return _candidate[0];
    }

    /// <summary>Standard speculative sampling, one draft: p from logits, then verified.</summary>
    [Benchmark]
    public int Standard() => Run(StandardVerifier.Instance, 1);

    /// <summary>K-SEQ, k = 2.</summary>
    [Benchmark]
    public int KSeqK2() => Run(KSeqVerifier.Instance, 2);

    /// <summary>K-SEQ, k = 4.</summary>
    [Benchmark]
    public int KSeqK4() => Run(KSeqVerifier.Instance, 4);

    /// <summary>RRS without replacement, k = 2.</summary>
    [Benchmark]
    public int RrsWorK2() => Run(RecursiveRejectionWithoutReplacementVerifier.Instance, 2);

    /// <summary>RRS without replacement, k = 4.</summary>
    [Benchmark]
    public int RrsWorK4() => Run(RecursiveRejectionWithoutReplacementVerifier.Instance, 4);

    /// <summary>Standard, top-k 40 on both sides.</summary>
    [Benchmark]
    public int StandardTopK40() => Run(StandardVerifier.Instance, 1, sparse: true);

    /// <summary>K-SEQ, k = 4, top-k 40 on both sides.</summary>
    [Benchmark]
    public int KSeqK4TopK40() => Run(KSeqVerifier.Instance, 4, sparse: true);

    private int Run(ISpeculativeVerifier verifier, int k, bool sparse = false)
    {
        var nodes = (sparse ? _sparse : _nodes)[(verifier.Kind, k)];
        int i = _next++ & (RandomNodes.Count - 1);
        (sparse ? _topK : _processor).Process(nodes.TargetLogits[i], [], 0, _target);
        return _verifier.Verify(verifier, _target, nodes.Drafts[i], nodes.Candidates[i], _random).Token;
    }
}
