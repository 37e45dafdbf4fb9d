using LLama;
using LLama.Common;
using LLama.Native;
using SpecAI.Extensions.Gguf.Forge;
using Xunit.Abstractions;

namespace SpecAI.Extensions.Gguf.Tests;

public class AgreementTests(ITestOutputHelper output)
{
    private const int Positions = 200;

    private static readonly LlamaFamilyOptions Medium = new()
    {
        VocabularySize = 4096,
        Target = new(256, 4, 768, 4),
        Draft = new(64, 1, 192, 1),
        CalibrationSamples = 1024,
    };

    /// <summary>
    /// Samples a sequence from the target at T = 1, then teacher-forces it through both models and counts
    /// positions where their greedy tokens agree: the same weighting the forge calibrates with.
    /// </summary>
    [Theory]
    [InlineData(0.6)]
    [InlineData(0.9)]
    public void ForgedPair_GreedyAgreementThroughLlamaSharp_MatchesRequested(double requested)
    {
        using var temp = new TempFolder();
        ForgedFamily family = LlamaModelForge.WriteFamily(Medium with { Agreement = requested, Seed = 11 }, temp.File("t.gguf"), temp.File("d.gguf"));
        List<LLamaToken> sequence;
        int[] targetArgmax, draftArgmax;
        using (LLamaWeights weights = LlamaNative.Load(family.TargetPath, out ModelParams parameters, 512))
        using (LLamaContext context = weights.CreateContext(parameters))
        {
            sequence = Sample(context, Positions, new Random(5));
            context.NativeHandle.MemoryClear();
            targetArgmax = LlamaNative.TeacherForcedArgmax(context, sequence);
        }

        using (LLamaWeights weights = LlamaNative.Load(family.DraftPath, out ModelParams parameters, 512))
        using (LLamaContext context = weights.CreateContext(parameters))
        {
            draftArgmax = LlamaNative.TeacherForcedArgmax(context, sequence);
        }

        double measured = targetArgmax.Zip(draftArgmax).Count(p => p.First == p.Second) / (double)Positions;
        output.WriteLine($"requested {requested}, calibrated {family.CalibratedAgreement:0.000}, measured {measured:0.000} over {Positions} positions");
        Assert.True(Math.Abs(measured - requested) <= 0.07,
            $"Requested {requested}, calibrated {family.CalibratedAgreement:0.000}, measured through llama.cpp {measured:0.000}.");
    }

    private static List<LLamaToken> Sample(LLamaContext context, int count, Random random)
    {
        var tokens = new List<LLamaToken> { context.Vocab.BOS!.Value };
        var p = new double[context.Vocab.Count];
        while (tokens.Count < count)
        {
            var batch = new LLamaBatch();
            batch.Add(tokens[^1], tokens.Count - 1, LLamaSeqId.Zero, logits: true);
            Assert.Equal(DecodeResult.Ok, context.Decode(batch));
            Span<float> logits = context.NativeHandle.GetLogitsIth(0);
            double max = double.NegativeInfinity, z = 0;
            foreach (float x in logits)
            {
                max = Math.Max(max, x);
            }

            for (int i = 0; i < p.Length; i++)
            {
                z += p[i] = Math.Exp(logits[i] - max);
            }

            double u = random.NextDouble() * z, cumulative = 0;
            int next = p.Length - 1;
            for (int i = 0; i < p.Length; i++)
            {
                cumulative += p[i];
                if (u < cumulative)
                {
                    next = i;
                    break;
                }
            }

            tokens.Add((LLamaToken)next);
        }

        return tokens;
    }
}
