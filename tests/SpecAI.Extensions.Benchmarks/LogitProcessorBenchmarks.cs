using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Benchmarks;

/// <summary>
/// <see cref="LogitProcessor.Process(ReadOnlySpan{float}, ReadOnlySpan{int}, int, TokenDistribution)"/> on raw logits:
/// T = 1 without truncation (the fused pass, dense result) against top-p 0.9 and top-k 40 (sparse results), beside the
/// floor: one vectorised read of the logits (their maximum).
/// </summary>
[MemoryDiagnoser]
public class LogitProcessorBenchmarks
{
    private RandomNodes _nodes = null!;
    private TokenDistribution _destination = null!;
    private LogitProcessor _topP = null!;
    private LogitProcessor _topK = null!;
    private LogitProcessor _plain = null!;
    private readonly int[] _history = Enumerable.Range(0, 256).ToArray();
    private int _next;

    /// <summary>Vocabulary size.</summary>
    [Params(32_000, 152_064, 248_320)]
    public int V { get; set; }

    /// <summary>Builds the logits and processors.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _nodes = RandomNodes.Create(V, 1, DraftScheme.Independent);
        _destination = new TokenDistribution(V);
        _topP = new LogitProcessor(new SamplingOptions { Temperature = 1.0, TopP = 0.9 });
        _topK = new LogitProcessor(new SamplingOptions { Temperature = 1.0, TopK = 40 });
        _plain = new LogitProcessor(new SamplingOptions { Temperature = 1.0 });
    }

    /// <summary>The floor: one vectorised pass that only reads the logits (their maximum).</summary>
    [Benchmark(Baseline = true)]
    public float Floor() => TensorPrimitives.Max<float>(_nodes.TargetLogits[_next++ & (RandomNodes.Count - 1)]);

    /// <summary>T = 1, no truncation (dense softmax).</summary>
    [Benchmark]
    public int SoftmaxOnly() => Run(_plain);

    /// <summary>T = 1, top-p 0.9.</summary>
    [Benchmark]
    public int TopP09() => Run(_topP);

    /// <summary>T = 1, top-k 40.</summary>
    [Benchmark]
    public int TopK40() => Run(_topK);

    private int Run(LogitProcessor processor)
    {
        processor.Process(_nodes.TargetLogits[_next++ & (RandomNodes.Count - 1)], _history, 0, _destination);
        return _destination.Count;
    }
}
