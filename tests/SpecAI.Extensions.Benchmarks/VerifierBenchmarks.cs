using BenchmarkDotNet.Attributes;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Benchmarks;

/// <summary>
/// One <c>Verify</c> call (one draft-tree node) per operation for every multi-candidate verifier, at vocabulary V and
/// k candidates. Each operation verifies the next of <see cref="RandomNodes.Count"/> pre-built random nodes.
/// </summary>
[MemoryDiagnoser]
public class VerifierBenchmarks
{
    private readonly Dictionary<VerifierKind, RandomNodes> _nodes = new();
    private double[] _scratch = [];
    private SeededRandomSource _random = new(7);
    private int _next;

    /// <summary>Vocabulary size.</summary>
    [Params(32_000, 152_000)]
    public int V { get; set; }

    /// <summary>Candidates per node (drafts alive).</summary>
    [Params(1, 2, 4, 8)]
    public int K { get; set; }

    /// <summary>Builds the nodes for every verifier's draft scheme.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _scratch = new double[V];
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

    private static readonly TypicalVerifier TypicalVerifierInstance = new();

    private static IEnumerable<ISpeculativeVerifier> Verifiers() =>
    [
        KSeqVerifier.Instance, RecursiveRejectionVerifier.Instance, RecursiveRejectionWithoutReplacementVerifier.Instance,
        TopKVerifier.Instance, GreedyDraftVerifier.Instance, TypicalVerifierInstance,
    ];

    private int Run(ISpeculativeVerifier verifier)
    {
        var nodes = _nodes[verifier.Kind];
        int i = _next++ & (RandomNodes.Count - 1);
        var node = new VerificationNode(nodes.Targets[i], verifier.Scheme == DraftScheme.TopK ? default : nodes.Drafts[i], nodes.Candidates[i], _scratch);
        return verifier.Verify(node, _random).Token;
    }
}

/// <summary>The standard (single-draft) verifier, which takes exactly one candidate.</summary>
[MemoryDiagnoser]
public class StandardVerifierBenchmarks
{
    private RandomNodes _nodes = null!;
    private double[] _scratch = [];
    private SeededRandomSource _random = new(7);
    private int _next;

    /// <summary>Vocabulary size.</summary>
    [Params(32_000, 152_000)]
    public int V { get; set; }

    /// <summary>Builds the nodes.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _scratch = new double[V];
        _nodes = RandomNodes.Create(V, 1, DraftScheme.Independent);
    }

    /// <summary>Leviathan/Chen speculative sampling, k = 1.</summary>
    [Benchmark]
    public int Standard()
    {
        int i = _next++ & (RandomNodes.Count - 1);
        var node = new VerificationNode(_nodes.Targets[i], _nodes.Drafts[i], _nodes.Candidates[i], _scratch);
        return StandardVerifier.Instance.Verify(node, _random).Token;
    }
}

/// <summary>
/// <see cref="LogitProcessor.Process"/> on raw logits: T = 1 with top-p 0.9 (sorts the vocabulary) against T = 1
/// without truncation (softmax only), to isolate the cost of the sort.
/// </summary>
[MemoryDiagnoser]
public class LogitProcessorBenchmarks
{
    private RandomNodes _nodes = null!;
    private double[] _destination = [];
    private LogitProcessor _topP = null!;
    private LogitProcessor _plain = null!;
    private readonly int[] _history = Enumerable.Range(0, 256).ToArray();
    private int _next;

    /// <summary>Vocabulary size.</summary>
    [Params(32_000, 152_000)]
    public int V { get; set; }

    /// <summary>Builds the logits and processors.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _nodes = RandomNodes.Create(V, 1, DraftScheme.Independent);
        _destination = new double[V];
        _topP = new LogitProcessor(new SamplingOptions { Temperature = 1.0, TopP = 0.9 });
        _plain = new LogitProcessor(new SamplingOptions { Temperature = 1.0 });
    }

    /// <summary>T = 1, top-p 0.9.</summary>
    [Benchmark(Baseline = true)]
    public double TopP09()
    {
        _topP.Process(_nodes.Logits[_next++ & (RandomNodes.Count - 1)], _history, 0, _destination);
        return _destination[0];
    }

    /// <summary>T = 1, no truncation (softmax only).</summary>
    [Benchmark]
    public double SoftmaxOnly()
    {
        _plain.Process(_nodes.Logits[_next++ & (RandomNodes.Count - 1)], _history, 0, _destination);
        return _destination[0];
    }
}
