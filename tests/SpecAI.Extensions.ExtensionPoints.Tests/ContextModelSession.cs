using SpecAI.Extensions.Engine;

namespace SpecAI.Extensions.ExtensionPoints.Tests;

/// <summary>
/// A backend written outside the library: an <see cref="IModelSession"/> whose "model" is a function of the last two
/// tokens, with a per-sequence token list standing in for the KV cache. It checks what a real backend would (positions
/// follow the cache, shared entries have one history) so that an engine bug shows up here as an exception.
/// </summary>
internal sealed class ContextModelSession : IModelSession
{
    private readonly List<int>[] _sequences;
    private readonly List<float[]?> _lastLogits = new();
    private readonly int _salt;

    /// <param name="name">Model name.</param>
    /// <param name="vocabularySize">Tokens in the vocabulary.</param>
    /// <param name="salt">Which "model": the draft uses another salt so it disagrees with the target now and then.</param>
    /// <param name="sharpness">Scale of the logits: large is nearly deterministic, small nearly uniform.</param>
    public ContextModelSession(string name, int vocabularySize, int salt, double sharpness = 2.0)
    {
        ModelName = name;
        VocabularySize = vocabularySize;
        _salt = salt;
        Sharpness = sharpness;
        _sequences = Enumerable.Range(0, MaxSequences).Select(_ => new List<int>()).ToArray();
    }

    public string ModelName { get; }

    public int VocabularySize { get; }

    public double Sharpness { get; }

    public int ContextSize => 1024;

    public int MaxBatchSize => 64;

    public int MaxSequences => 8;

    public bool HasUnifiedKvCache => true;

    public bool ProvidesHiddenStates => false;

    public bool SupportsPartialRemoval => true;

    public int DecodeCalls { get; private set; }

    public int SequenceLength(int sequence) => _sequences[sequence].Count;

    /// <summary>The model's logits after <paramref name="context"/>: what the tests compute the exact law from.</summary>
    public float[] LogitsAfter(IReadOnlyList<int> context)
    {
        int last = context.Count > 0 ? context[^1] : 0;
        int before = context.Count > 1 ? context[^2] : 0;
        var logits = new float[VocabularySize];
        for (int token = 0; token < VocabularySize; token++)
        {
            // A fixed pseudo-random table over (before, last, token); the draft's salt changes some of its entries.
            uint h = (uint)(before * 73856093) ^ (uint)(last * 19349663) ^ (uint)(token * 83492791);
            h ^= token % 3 == 0 ? (uint)_salt * 2654435761u : 0u;
            h ^= h >> 13;
            h *= 0x5bd1e995;
            h ^= h >> 15;
            logits[token] = (float)(Sharpness * (h % 1000) / 1000.0);
        }

        return logits;
    }

    /// <summary>The exact law of the generated token at <paramref name="index"/> (0 = the first) after <paramref name="prompt"/> at temperature 1, summed over every path to it.</summary>
    public double[] LawAt(IReadOnlyList<int> prompt, int index)
    {
        var law = new double[VocabularySize];
        Accumulate([.. prompt], 1.0, index, law);
        return law;
    }

    /// <summary>softmax(logits) in double.</summary>
    public static double[] Probabilities(float[] logits)
    {
        double max = logits.Max();
        var p = logits.Select(l => Math.Exp(l - max)).ToArray();
        double sum = p.Sum();
        return p.Select(x => x / sum).ToArray();
    }

    private void Accumulate(List<int> context, double weight, int remaining, double[] law)
    {
        var p = Probabilities(LogitsAfter(context));
        for (int token = 0; token < VocabularySize; token++)
        {
            if (remaining == 0)
            {
                law[token] += weight * p[token];
                continue;
            }

            context.Add(token);
            Accumulate(context, weight * p[token], remaining - 1, law);
            context.RemoveAt(context.Count - 1);
        }
    }

    public void Decode(DecodeBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0 || batch.Count > MaxBatchSize)
        {
            throw new InvalidOperationException($"Batch of {batch.Count} tokens (max {MaxBatchSize}).");
        }

        DecodeCalls++;
        _lastLogits.Clear();
        for (int i = 0; i < batch.Count; i++)
        {
            var sequences = batch.SequencesAt(i);
            var first = _sequences[sequences[0]];
            foreach (int s in sequences)
            {
                if (batch.PositionAt(i) != _sequences[s].Count || !_sequences[s].SequenceEqual(first))
                {
                    throw new InvalidOperationException($"Entry {i} at position {batch.PositionAt(i)} does not follow sequence {s}'s cache.");
                }
            }

            foreach (int s in sequences)
            {
                _sequences[s].Add(batch.TokenAt(i));
            }

            _lastLogits.Add(batch.WantsLogits(i) ? LogitsAfter(_sequences[sequences[0]]) : null);
        }
    }

    public ReadOnlySpan<float> GetLogits(int batchIndex) =>
        _lastLogits[batchIndex] ?? throw new InvalidOperationException($"Batch entry {batchIndex} did not ask for logits.");

    public ReadOnlySpan<float> GetHiddenState(int batchIndex) => throw new NotSupportedException("No hidden states.");

    public bool RemoveTokens(int sequence, int fromPosition)
    {
        var tokens = _sequences[sequence];
        if (fromPosition < tokens.Count)
        {
            tokens.RemoveRange(fromPosition, tokens.Count - fromPosition);
        }

        return true;
    }

    public void CopySequence(int source, int destination)
    {
        _sequences[destination].Clear();
        _sequences[destination].AddRange(_sequences[source]);
    }

    public void Dispose()
    {
    }
}
