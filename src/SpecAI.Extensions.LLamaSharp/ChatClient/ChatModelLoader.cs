using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.Logging;
using SpecAI.Extensions.Backend;
using SpecAI.Extensions.Vocabulary;

namespace SpecAI.Extensions.ChatClient;

/// <summary>
/// Loads a client's target and draft models (on the scheduler's thread) and decides, once, how the draft's
/// vocabulary maps to the target's (<see cref="SpeculativeChatClientOptions.VocabularyMapping"/>).
/// </summary>
internal static class ChatModelLoader
{
    /// <summary>Loads the target, then the draft (progress split in halves), and bridges their vocabularies; disposes what it loaded when anything fails.</summary>
    /// <exception cref="IncompatibleDraftModelException">The draft cannot draft for the target under the configured mapping.</exception>
    public static (LLamaModelSession Target, LLamaModelSession? Draft, VocabularyBridge? Vocabulary) Load(SpeculativeChatClientOptions options, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
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
            return (target, null, null);
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
                return (target, draft, BridgeVocabularies(target, draft, options.VocabularyMapping));
            }
            catch
            {
                draft.Dispose();
                throw;
            }
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

            // Recurrent-state snapshots deep enough for the longest draft (qwen35/qwen35moe roll back natively; llama.cpp
            // clamps the value to 0 elsewhere and the session falls back to checkpoint and replay).
            RecurrentRollbackSnapshots = (uint)Math.Max(0, options.RecurrentRollbackSnapshots ?? Math.Max(1, options.DraftLength)),
            SwaFull = options.SwaFull,
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

    /// <summary>Decides how the draft drafts for the target; throws when it cannot under <paramref name="mapping"/>.</summary>
    private static VocabularyBridge BridgeVocabularies(LLamaModelSession target, LLamaModelSession draft, VocabularyMapping mapping)
    {
        var targetVocabulary = LLamaVocabularyReader.Read(target.Weights);
        var draftVocabulary = LLamaVocabularyReader.Read(draft.Weights);
        if (!VocabularyBridge.TryCreate(
                targetVocabulary,
                draftVocabulary,
                new LLamaTextTokenizer(target.Weights, targetVocabulary),
                new LLamaTextTokenizer(draft.Weights, draftVocabulary),
                mapping,
                out var bridge,
                out string? failure))
        {
            throw mapping == VocabularyMapping.Exact
                ? new IncompatibleDraftModelException(target.ModelName, draft.ModelName, failure)
                : new IncompatibleDraftModelException(target.ModelName, draft.ModelName, failure, mapping);
        }

        return bridge;
    }

    /// <summary>Maps one model's load progress into its share of the whole, reporting synchronously.</summary>
    private sealed class ScaledProgress(IProgress<float> inner, float from, float to) : IProgress<float>
    {
        public void Report(float value) => inner.Report(from + (to - from) * Math.Clamp(value, 0f, 1f));
    }
}
