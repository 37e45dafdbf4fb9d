using SpecAI.Extensions.Drafting;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;
using SpecAI.Extensions.Tests.TestSupport;

namespace SpecAI.Extensions.Tests.Engine;

/// <summary>A fake target/draft pair with a known law, plus the exact law of generated sequences.</summary>
internal sealed class EngineTestKit
{
    public EngineTestKit(int vocabularySize, double draftNoise = 1.5, int seed = 1, int maxBatchSize = 64, bool unified = true, int contextSize = 512, Action<DecodeBatch>? onTargetDecode = null, SequenceRollback targetRollback = SequenceRollback.Removal, SequenceRollback draftRollback = SequenceRollback.Removal, int rollbackDepth = 0)
    {
        VocabularySize = vocabularySize;
        TargetLogits = FakeLanguage.Create(vocabularySize, seed);
        DraftLogits = FakeLanguage.Perturbed(TargetLogits, seed + 100, draftNoise);
        Target = new FakeModelSession("target", vocabularySize, TargetLogits, contextSize: contextSize, maxBatchSize: maxBatchSize, unified: unified, onDecode: onTargetDecode, rollback: targetRollback, rollbackDepth: rollbackDepth);
        Draft = new FakeModelSession("draft", vocabularySize, DraftLogits, contextSize: contextSize, maxBatchSize: maxBatchSize, unified: unified, rollback: draftRollback, rollbackDepth: rollbackDepth);
        Engine = new SpeculativeEngine(Target, new ModelDraftSource(Draft));
    }

    public int VocabularySize { get; }
    public Func<IReadOnlyList<int>, float[]> TargetLogits { get; }
    public Func<IReadOnlyList<int>, float[]> DraftLogits { get; }
    public FakeModelSession Target { get; }
    public FakeModelSession Draft { get; }
    public SpeculativeEngine Engine { get; }

    public int[] Generate(int[] prompt, GenerationSettings settings, SpeculationStatistics? statistics = null)
        => Engine.Generate(prompt, settings, statistics ?? new SpeculationStatistics()).ToArray();

    /// <summary>Exact probability of every sequence of <paramref name="length"/> tokens after the prompt under the target.</summary>
    public Dictionary<string, double> ExactLaw(int[] prompt, int length, SamplingOptions options)
    {
        var law = new Dictionary<string, double>();
        var processor = new LogitProcessor(options);
        var p = new double[VocabularySize];
        void Walk(List<int> history, double probability, int depth)
        {
            if (depth == length)
            {
                law[Key(history.Skip(prompt.Length))] = probability;
                return;
            }

            processor.Process(TargetLogits(history), history.ToArray(), depth, p);
            var copy = (double[])p.Clone();
            for (int v = 0; v < VocabularySize; v++)
            {
                if (copy[v] > 0)
                {
                    history.Add(v);
                    Walk(history, probability * copy[v], depth + 1);
                    history.RemoveAt(history.Count - 1);
                }
            }
        }

        Walk(prompt.ToList(), 1.0, 0);
        return law;
    }

    public static string Key(IEnumerable<int> tokens) => string.Join(",", tokens);
}
