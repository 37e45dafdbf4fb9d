using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Superposed;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Superposed;

public class SuperposedRunnerTests
{
    [Fact]
    public void Superpose_FeedsTheWeightedEmbeddings_AndKeepsOnlyThePromptCached()
    {
        const int vocabulary = 7;
        var session = new EmbeddingSession(vocabulary, seed: 3);
        var engine = new SpeculativeEngine(session);
        int[] prompt = [1, 2, 3, 1, 2];
        var settings = new SuperposedSettings { Suggestions = 3, MaxTokens = 5, Alpha = 0.2, StopTokens = new HashSet<int> { 6 } };

        var result = engine.Superpose(prompt, settings);

        // The same search driven by hand over the fake's law: input = sum_d gamma_d onehot(last token of d).
        var search = new SuperposedSearch(prompt, vocabulary, 3, settings.StopTokens, 0.2, settings.Temperature);
        search.Step(session.Law(session.OneHot(prompt[^1]), prompt.Length - 1));
        for (int position = prompt.Length; position < prompt.Length + 4 && search.AnyRunning; position++)
        {
            var weights = new double[3];
            search.SuperpositionWeights(weights);
            var x = new float[vocabulary];
            for (int d = 0; d < 3; d++)
            {
                if (weights[d] > 0)
                {
                    x[search.LastToken(d)] += (float)weights[d];
                }
            }

            search.Step(session.Law(x, position));
        }

        var expected = search.RankedDrafts().Select(d => string.Join(',', search.Tokens(d))).ToArray();
        Assert.Equal(expected, result.Suggestions.Select(s => string.Join(',', s.Tokens)).ToArray());
        Assert.Equal(3, result.Suggestions.Select(s => string.Join(',', s.Tokens)).Distinct().Count());
        Assert.Equal(prompt.Length, session.Inputs(0).Count);
        Assert.Equal(0, result.CachedPromptTokens);

        // The next keystroke's prompt reuses the cached one.
        var again = engine.Superpose([.. prompt, 4], settings);
        Assert.Equal(prompt.Length, again.CachedPromptTokens);
        Assert.Equal(prompt.Length + 1, session.Inputs(0).Count);
    }

    [Fact]
    public void Superpose_SessionWithoutEmbeddingInput_ThrowsTyped()
    {
        var session = new FakeModelSession("plain", 5, _ => new float[5]);
        var engine = new SpeculativeEngine(session);
        Assert.Throws<EmbeddingInputNotSupportedException>(() => engine.Superpose([1, 2], new SuperposedSettings()));
        Assert.Throws<ArgumentException>("prompt", () => engine.Superpose([], new SuperposedSettings()));
        Assert.Throws<ArgumentOutOfRangeException>("Suggestions", () => engine.Superpose([1], new SuperposedSettings { Suggestions = 0 }));
    }

    /// <summary>A fake whose inputs are vectors (a token is its one-hot row) and whose logits are W x + position.</summary>
    private sealed class EmbeddingSession : IModelSession, IEmbeddingInputSession
    {
        private readonly float[,] _w;
        private readonly List<float[]>[] _inputs = [.. Enumerable.Range(0, 4).Select(_ => new List<float[]>())];
        private readonly List<float[]> _logits = new();

        public EmbeddingSession(int vocabulary, int seed)
        {
            VocabularySize = vocabulary;
            var rng = new Random(seed);
            _w = new float[vocabulary, vocabulary];
            for (int i = 0; i < vocabulary; i++)
            {
                for (int j = 0; j < vocabulary; j++)
                {
                    _w[i, j] = (float)(4 * rng.NextDouble());
                }
            }
        }

        public string ModelName => "embedding-fake";
        public int VocabularySize { get; }
        public int ContextSize => 64;
        public int MaxBatchSize => 3;
        public int MaxSequences => 4;
        public bool HasUnifiedKvCache => true;
        public bool ProvidesHiddenStates => false;
        public bool SupportsPartialRemoval => true;
        public int EmbeddingLength => VocabularySize;

        public IReadOnlyList<float[]> Inputs(int sequence) => _inputs[sequence];

        public float[] OneHot(int token)
        {
            var x = new float[VocabularySize];
            x[token] = 1;
            return x;
        }

        public float[] Law(float[] x, int position)
        {
            var logits = new float[VocabularySize];
            for (int i = 0; i < VocabularySize; i++)
            {
                float sum = 0;
                for (int j = 0; j < VocabularySize; j++)
                {
                    sum += _w[i, j] * x[j];
                }

                logits[i] = sum + (0.1f * ((position * (i + 1)) % 5));
            }

            return logits;
        }

        public void Decode(DecodeBatch batch)
        {
            _logits.Clear();
            for (int i = 0; i < batch.Count; i++)
            {
                Append(OneHot(batch.TokenAt(i)), batch.SequencesAt(i)[0], batch.PositionAt(i));
                if (batch.WantsLogits(i))
                {
                    _logits.Add(Law(OneHot(batch.TokenAt(i)), batch.PositionAt(i)));
                }
                else
                {
                    _logits.Add([]);
                }
            }
        }

        public void TokenEmbedding(int token, Span<float> destination) => OneHot(token).CopyTo(destination);

        public void DecodeEmbedding(ReadOnlySpan<float> embedding, int sequence, int position)
        {
            _logits.Clear();
            Append(embedding.ToArray(), sequence, position);
            _logits.Add(Law(embedding.ToArray(), position));
        }

        public ReadOnlySpan<float> GetLogits(int batchIndex) => _logits[batchIndex];

        public ReadOnlySpan<float> GetHiddenState(int batchIndex) => throw new InvalidOperationException();

        public bool RemoveTokens(int sequence, int fromPosition)
        {
            var list = _inputs[sequence];
            list.RemoveRange(Math.Min(fromPosition, list.Count), list.Count - Math.Min(fromPosition, list.Count));
            return true;
        }

        public void CopySequence(int source, int destination)
        {
            _inputs[destination].Clear();
            _inputs[destination].AddRange(_inputs[source]);
        }

        public void Dispose()
        {
        }

        private void Append(float[] input, int sequence, int position)
        {
            Assert.Equal(_inputs[sequence].Count, position);
            _inputs[sequence].Add(input);
        }
    }
}
