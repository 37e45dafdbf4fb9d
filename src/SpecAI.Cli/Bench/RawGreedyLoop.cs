using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;

namespace SpecAI.Cli.Bench;

/// <summary>
/// The bench's native-speed reference: a plain LLamaSharp greedy loop (full prefill of the prompt, argmax over the
/// logits, one decode per token) on a context of its own over already loaded weights. Create, use and dispose it on
/// the thread that decodes the client's models (the client's scheduler thread): every OS thread that calls
/// <c>llama_decode</c> brings its own OpenMP team, and two teams on the same cores slow each other.
/// </summary>
internal sealed class RawGreedyLoop : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();
    private readonly LLamaSeqId _sequence = LLamaSeqId.Zero;
    private readonly bool _ownsContext = true;

    /// <summary>
    /// A loop on sequence <paramref name="sequence"/> of a context someone else owns (the client's, for a diagnosis): it
    /// clears only that sequence, and leaves the context alive.
    /// </summary>
    public RawGreedyLoop(LLamaWeights weights, LLamaContext context, int sequence)
    {
        (_weights, _context, _sequence, _ownsContext) = (weights, context, (LLamaSeqId)sequence, false);
    }

    /// <summary>A context of <paramref name="contextSize"/> cells with one sequence (what a plain loop asks for), or the given sequence layout.</summary>
    public RawGreedyLoop(LLamaWeights weights, uint contextSize, int threads, uint sequences = 1, bool? unifiedKv = null)
    {
        _weights = weights;
        var parameters = new ModelParams(string.Empty)
        {
            ContextSize = contextSize, BatchSize = 512, UBatchSize = 512, SeqMax = sequences, KVUnified = unifiedKv, Threads = threads, BatchThreads = threads,
        };
        _context = weights.CreateContext(parameters);
    }

    /// <summary>Greedy-decodes up to <paramref name="maxTokens"/> tokens after <paramref name="prompt"/> (KV cleared first); <paramref name="onToken"/> sees each token.</summary>
    public RawSample Generate(IReadOnlyList<int> prompt, int maxTokens, Action<int>? onToken = null)
    {
        var handle = _context.NativeHandle;
        Clear(handle);
        long t0 = Stopwatch.GetTimestamp();
        _batch.Clear();
        for (int i = 0; i < prompt.Count; i++)
        {
            _batch.Add((LLamaToken)prompt[i], i, _sequence, i == prompt.Count - 1);
        }

        double prefill = Decode(handle), decode = prefill, first = double.NaN;
        int position = prompt.Count, generated = 0, decodes = 0;
        var logits = handle.GetLogitsIth(_batch.TokenCount - 1);
        while (generated < maxTokens)
        {
            int best = ArgMax(logits);
            first = generated++ == 0 ? Stopwatch.GetElapsedTime(t0).TotalMilliseconds : first;
            onToken?.Invoke(best);
            if (((LLamaToken)best).IsEndOfGeneration(_weights.Vocab) || generated == maxTokens)
            {
                break;
            }

            _batch.Clear();
            _batch.Add((LLamaToken)best, position++, _sequence, true);
            decode += Decode(handle);
            decodes++;
            logits = handle.GetLogitsIth(0);
        }

        var sample = new RawSample(Stopwatch.GetElapsedTime(t0).TotalMilliseconds, decode, prefill, first, generated, decodes);
        if (!_ownsContext)
        {
            Clear(handle);
        }

        return sample;
    }

    /// <summary>Frees the context when it is this loop's (the weights belong to the caller).</summary>
    public void Dispose()
    {
        if (_ownsContext)
        {
            _context.Dispose();
        }
    }

    private void Clear(SafeLLamaContextHandle handle)
    {
        if (_ownsContext)
        {
            handle.MemoryClear();
        }
        else
        {
            handle.MemorySequenceRemove(_sequence, -1, -1);
        }
    }

    // The plain loop a LLamaSharp user writes (as bench-raw's): ties go to the lowest index.
    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            best = logits[i] > logits[best] ? i : best;
        }

        return best;
    }

    private double Decode(SafeLLamaContextHandle handle)
    {
        long started = Stopwatch.GetTimestamp();
        var result = handle.Decode(_batch);
        return result == DecodeResult.Ok ? Stopwatch.GetElapsedTime(started).TotalMilliseconds : throw new InvalidOperationException($"raw decode failed: {result}");
    }
}
