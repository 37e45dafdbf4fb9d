using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.Logging;
using SpecAI.Extensions.Backend;

namespace SpecAI.Extensions.ChatClient;

/// <summary>
/// Loads a client's target and draft models (on the scheduler's thread) and checks that they can work
/// together.
/// </summary>
internal static class ChatModelLoader
{
    /// <summary>Loads the target, then the draft (progress split in halves), and checks their vocabularies; disposes what it loaded when anything fails.</summary>
    public static (LLamaModelSession Target, LLamaModelSession? Draft) Load(SpeculativeChatClientOptions options, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        var nativeLogger = loggerFactory?.CreateLogger("SpecAI.Extensions.LLamaCpp");
        bool hasDraft = !string.IsNullOrEmpty(options.DraftModelPath);
        var progress = GuardedProgress.Wrap(options.LoadProgress);
        var target = LLamaModelSession.Load(
            options.TargetModelPath,
            CreateParameters(options, options.TargetModelPath, options.GpuLayerCount, hiddenStates: !string.IsNullOrEmpty(options.JudgeHeadPath)),
            progress is null ? null : new ScaledProgress(progress, 0, hasDraft ? 0.5f : 1f),
            nativeLogger,
            cancellationToken);
        progress?.Report(hasDraft ? 0.5f : 1f);
        if (!hasDraft)
        {
            return (target, null);
        }

        try
        {
            var draft = LLamaModelSession.Load(
                options.DraftModelPath!,
                CreateParameters(options, options.DraftModelPath!, options.DraftGpuLayerCount),
                progress is null ? null : new ScaledProgress(progress, 0.5f, 1f),
                nativeLogger,
                cancellationToken);
            progress?.Report(1f);
            try
            {
                CheckVocabularies(target, draft);
            }
            catch
            {
                draft.Dispose();
                throw;
            }

            return (target, draft);
        }
        catch
        {
            target.Dispose();
            throw;
        }
    }

    /// <summary>Sequences per context: enough for every concurrent request (and its draft branches in multi-draft) plus a few cached conversations.</summary>
    public static int SequenceCount(SpeculativeChatClientOptions options)
    {
        if (options.SequenceCount > 0)
        {
            return options.SequenceCount;
        }

        int perRequest = options.EffectiveMode == SpeculationMode.MultiDraft ? options.DraftCount : 1;
        return Math.Min(SpeculativeChatClientOptions.MaxSequenceCount, options.MaxConcurrentRequests * perRequest + 4);
    }

    private static ModelParams CreateParameters(SpeculativeChatClientOptions options, string path, int gpuLayers, bool hiddenStates = false)
    {
        var parameters = new ModelParams(path)
        {
            Embeddings = hiddenStates,
            PoolingType = hiddenStates ? LLamaPoolingType.None : LLamaPoolingType.Unspecified,
            ContextSize = options.ContextSize > 0 ? (uint)options.ContextSize : null,
            BatchSize = (uint)options.BatchSize,
            UBatchSize = (uint)options.BatchSize,
            SeqMax = (uint)SequenceCount(options),
            KVUnified = true,
            GpuLayerCount = gpuLayers,
            MainGpu = options.MainGpu,
        };
        if (options.Threads > 0)
        {
            parameters.Threads = options.Threads;
            parameters.BatchThreads = options.Threads;
        }

        if (options.SplitMode is not null)
        {
            parameters.SplitMode = Enum.Parse<GPUSplitMode>(options.SplitMode, ignoreCase: true);
        }

        if (options.TensorSplits is { } splits)
        {
            for (int i = 0; i < splits.Length; i++)
            {
                parameters.TensorSplits[i] = splits[i];
            }
        }

        return parameters;
    }

    private static void CheckVocabularies(LLamaModelSession target, LLamaModelSession draft)
    {
        var t = target.Weights.Vocab;
        var d = draft.Weights.Vocab;
        if (t.Count != d.Count)
        {
            throw new IncompatibleDraftModelException(target.ModelName, draft.ModelName, $"vocabulary sizes differ ({t.Count} vs {d.Count})");
        }

        for (int i = 0; i < t.Count; i++)
        {
            string? a = t.LLamaTokenToString((LLamaToken)i, true);
            string? b = d.LLamaTokenToString((LLamaToken)i, true);
            if (!string.Equals(a, b, StringComparison.Ordinal))
            {
                throw new IncompatibleDraftModelException(target.ModelName, draft.ModelName, $"token {i} is '{a}' in the target but '{b}' in the draft");
            }
        }
    }

    /// <summary>Maps one model's load progress into its share of the whole, reporting synchronously.</summary>
    private sealed class ScaledProgress(IProgress<float> inner, float from, float to) : IProgress<float>
    {
        public void Report(float value) => inner.Report(from + (to - from) * Math.Clamp(value, 0f, 1f));
    }
}
