using BenchmarkDotNet.Attributes;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Benchmarks;

/// <summary>The standard (single-draft) verifier alone, which takes exactly one candidate, on prepared dense distributions.</summary>
[MemoryDiagnoser]
public class StandardVerifierBenchmarks
{
    private RandomNodes _nodes = null!;
    private NodeVerifier _verifier = null!;
    private SeededRandomSource _random = new(7);
    private int _next;

    /// <summary>Vocabulary size.</summary>
    [Params(32_000, 152_064)]
    public int V { get; set; }

    /// <summary>Builds the nodes.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _verifier = new NodeVerifier(V);
        _nodes = RandomNodes.Create(V, 1, DraftScheme.Independent);
    }

    /// <summary>Leviathan/Chen speculative sampling, k = 1.</summary>
    [Benchmark]
    public int Standard()
    {
        int i = _next++ & (RandomNodes.Count - 1);
        return _verifier.Verify(StandardVerifier.Instance, _nodes.Targets[i], _nodes.Drafts[i], _nodes.Candidates[i], _random).Token;
    }
}
