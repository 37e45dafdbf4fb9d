using LLama;
using LLama.Common;
using LLama.Native;

namespace SpecAI.Extensions.Gguf.Tests;

/// <summary>Loads models through LLamaSharp with llama.cpp's log silenced (once per process).</summary>
internal static class LlamaNative
{
    private static readonly Lock Gate = new();
    private static bool _configured;

    public static LLamaWeights Load(string path, out ModelParams parameters, uint contextSize = 256)
    {
        EnsureQuiet();
        parameters = new ModelParams(path) { ContextSize = contextSize, BatchSize = contextSize, UBatchSize = contextSize, GpuLayerCount = 0, Threads = 2, BatchThreads = 2 };
        return LLamaWeights.LoadFromFile(parameters);
    }

    /// <summary>Decodes <paramref name="tokens"/> in one batch and returns the argmax after each position.</summary>
    public static int[] TeacherForcedArgmax(LLamaContext context, IReadOnlyList<LLamaToken> tokens)
    {
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Count; i++)
        {
            batch.Add(tokens[i], i, LLamaSeqId.Zero, logits: true);
        }

        DecodeResult result = context.Decode(batch);
        Assert.Equal(DecodeResult.Ok, result);
        var argmax = new int[tokens.Count];
        for (int i = 0; i < tokens.Count; i++)
        {
            argmax[i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(context.NativeHandle.GetLogitsIth(i));
        }

        return argmax;
    }

    private static void EnsureQuiet()
    {
        lock (Gate)
        {
            if (!_configured)
            {
                NativeLibraryConfig.All.WithLogCallback((_, _) => { });
                _configured = true;
            }
        }
    }
}
