using LLama;
using LLama.Common;
using LLama.Native;
using SpecAI.Extensions.Gguf.Forge;
using Xunit.Abstractions;

namespace SpecAI.Extensions.LLamaSharp.Tests.Families;

/// <summary>The pairs <see cref="ArchitectureForge"/> writes load and run in the native library, per architecture.</summary>
public class ArchitectureForgeTests(ITestOutputHelper output)
{
    public static TheoryData<string> Architectures => new(ArchitectureForge.Names);

    public static TheoryData<string> ContextArchitectures => new(ArchitectureForge.Names.Where(a => a != ArchitectureForge.Llama));

    /// <summary>The pair of <paramref name="architecture"/> at Test scale, forged once into a folder shared by test runs.</summary>
    internal static ForgedArchitecturePair Pair(string architecture) =>
        ArchitectureForge.GetOrCreate(architecture, Path.Combine(Path.GetTempPath(), "specai-architecture-forge-tests", architecture));

    [Theory]
    [MemberData(nameof(Architectures))]
    public void TargetAndDraft_LoadWithTheirArchitecture_AndDecodeToFiniteLogits(string architecture)
    {
        ForgedArchitecturePair pair = Pair(architecture);
        foreach (string path in new[] { pair.TargetPath, pair.DraftPath })
        {
            using var weights = LLamaWeights.LoadFromFile(Params(path));
            Assert.Equal(architecture, weights.Metadata["general.architecture"]);
            Assert.Equal(pair.VocabularySize, weights.Vocab.Count);
            float[][] logits = Logits(weights, Prompt(24, seed: 1));
            Assert.All(logits, row => Assert.All(row, x => Assert.True(float.IsFinite(x))));
        }
    }

    [Fact]
    public void Qwen35_ContextGetsTheRequestedRollbackSnapshots()
    {
        using var weights = LLamaWeights.LoadFromFile(Params(Pair(ArchitectureForge.Qwen35).TargetPath));
        using LLamaContext context = weights.CreateContext(Params(Pair(ArchitectureForge.Qwen35).TargetPath) with { RecurrentRollbackSnapshots = 4 });
        Assert.Equal(4, (int)context.NativeHandle.RecurrentRollbackSnapshots);
    }

    [Fact]
    public void Lfm2_ClampsRollbackSnapshotsToZero()
    {
        string path = Pair(ArchitectureForge.Lfm2).TargetPath;
        using var weights = LLamaWeights.LoadFromFile(Params(path));
        using LLamaContext context = weights.CreateContext(Params(path) with { RecurrentRollbackSnapshots = 4 });
        Assert.Equal(0, (int)context.NativeHandle.RecurrentRollbackSnapshots);
    }

    [Fact]
    public void Gemma3_WindowIsShorterThanATestGeneration()
    {
        ForgedArchitecturePair pair = Pair(ArchitectureForge.Gemma3);
        Assert.Equal(16, pair.SlidingWindow);
        using var weights = LLamaWeights.LoadFromFile(Params(pair.TargetPath));
        Assert.Equal("16", weights.Metadata["gemma3.attention.sliding_window"]);
    }

    [Theory]
    [MemberData(nameof(ContextArchitectures))]
    public void Logits_DependOnThePrefix(string architecture)
    {
        // The same last token after different prefixes: the recurrent state, attention or routing must move its logits.
        using var weights = LLamaWeights.LoadFromFile(Params(Pair(architecture).TargetPath));
        int[] prompt = Prompt(12, seed: 2);
        float[] withPrefix = Logits(weights, prompt)[^1];
        float[] alone = Logits(weights, [prompt[^1]])[^1];
        float[] otherPrefix = Logits(weights, [.. Prompt(11, seed: 3), prompt[^1]])[^1];
        output.WriteLine($"{architecture}: max logit change from the prefix {MaxDifference(withPrefix, alone):F4}, from another prefix {MaxDifference(withPrefix, otherPrefix):F4}");
        Assert.True(MaxDifference(withPrefix, alone) > 1e-2, $"{architecture}: the prefix moved the logits by only {MaxDifference(withPrefix, alone)}");
        Assert.True(MaxDifference(withPrefix, otherPrefix) > 1e-2, $"{architecture}: another prefix moved the logits by only {MaxDifference(withPrefix, otherPrefix)}");
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void GreedyAgreement_OfDraftAndTarget_IsStrictlyBetweenZeroAndOne(string architecture)
    {
        ForgedArchitecturePair pair = Pair(architecture);
        int[] tokens = Prompt(64, seed: 4);
        using var target = LLamaWeights.LoadFromFile(Params(pair.TargetPath));
        using var draft = LLamaWeights.LoadFromFile(Params(pair.DraftPath));
        float[][] t = Logits(target, tokens), d = Logits(draft, tokens);
        double agreement = Enumerable.Range(0, tokens.Length).Count(i => ArgMax(t[i]) == ArgMax(d[i])) / (double)tokens.Length;
        output.WriteLine($"{architecture}: greedy agreement {agreement:F3} over {tokens.Length} teacher-forced positions (calibrated {pair.CalibratedAgreement:F3})");
        Assert.InRange(agreement, 0.3, 0.95);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void BatchedAndTokenByTokenLogits_Agree(string architecture)
    {
        // F32 weights at Test scale: verifying drafts in one batch gives the logits plain decoding gives, so "greedy
        // speculative == plain" checks the rollback, not rounding.
        using var weights = LLamaWeights.LoadFromFile(Params(Pair(architecture).TargetPath));
        int[] tokens = Prompt(40, seed: 5);
        float[][] batched = Logits(weights, tokens);
        using LLamaContext context = weights.CreateContext(Params("unused"));
        double worst = 0;
        for (int i = 0; i < tokens.Length; i++)
        {
            var batch = new LLamaBatch();
            batch.Add((LLamaToken)tokens[i], i, LLamaSeqId.Zero, true);
            Assert.Equal(DecodeResult.Ok, context.Decode(batch));
            float[] single = context.NativeHandle.GetLogitsIth(0).ToArray();
            worst = Math.Max(worst, MaxDifference(single, batched[i]));
            Assert.Equal(ArgMax(batched[i]), ArgMax(single));
        }

        output.WriteLine($"{architecture}: batched vs token-by-token logits differ by at most {worst:E2}");
        Assert.True(worst < 1e-3, $"{architecture}: {worst}");
    }

    internal static ModelParams Params(string path) => new(path) { ContextSize = 256, BatchSize = 256, UBatchSize = 256, SeqMax = 1, Threads = 2 };

    /// <summary>Ordinary tokens of the synthetic vocabulary (after its control and byte tokens), drawn with <paramref name="seed"/>.</summary>
    internal static int[] Prompt(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(300, 512)).ToArray();
    }

    /// <summary>Logits of every position of <paramref name="tokens"/> decoded in one batch in a fresh context.</summary>
    internal static float[][] Logits(LLamaWeights weights, IReadOnlyList<int> tokens)
    {
        using LLamaContext context = weights.CreateContext(Params("unused"));
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Count; i++)
        {
            batch.Add((LLamaToken)tokens[i], i, LLamaSeqId.Zero, true);
        }

        Assert.Equal(DecodeResult.Ok, context.Decode(batch));
        return Enumerable.Range(0, tokens.Count).Select(i => context.NativeHandle.GetLogitsIth(i).ToArray()).ToArray();
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    private static int ArgMax(float[] row) => Array.IndexOf(row, row.Max());
}
