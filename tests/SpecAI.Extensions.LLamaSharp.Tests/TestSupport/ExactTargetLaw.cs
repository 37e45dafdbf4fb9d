using LLama.Common;
using SpecAI.Extensions.Backend;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

/// <summary>The target's exact next-token distribution after a prompt, from its own logits in a separate context.</summary>
internal static class ExactTargetLaw
{
    public static double[] NextToken(string modelPath, IReadOnlyList<int> prompt, SamplingOptions sampling)
    {
        using var session = LLamaModelSession.LoadAsync(modelPath, new ModelParams(modelPath) { ContextSize = 512, BatchSize = 512, SeqMax = 1, Threads = 2 }).GetAwaiter().GetResult();
        var batch = new DecodeBatch();
        for (int i = 0; i < prompt.Count; i++)
        {
            batch.Add(prompt[i], i, 0, i == prompt.Count - 1);
        }

        session.Decode(batch);
        var p = new double[session.VocabularySize];
        new LogitProcessor(sampling).Process(session.GetLogits(prompt.Count - 1), prompt.ToArray(), 0, p);
        return p;
    }
}
