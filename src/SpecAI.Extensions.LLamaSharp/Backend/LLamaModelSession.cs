using LLama;
using LLama.Common;
using LLama.Native;
using Microsoft.Extensions.Logging;
using SpecAI.Extensions.Engine;

namespace SpecAI.Extensions.Backend;

/// <summary>
/// A GGUF model loaded through LLamaSharp with one context, exposed as the engine's <see cref="IModelSession"/>.
/// Owns its weights and context.
/// </summary>
public sealed partial class LLamaModelSession : IModelSession, IEmbeddingInputSession
{
    /// <summary>Context size used when none is configured (or the model's training context, if smaller).</summary>
    public const uint DefaultContextSize = 4096;

    // llama.cpp's llm_arch_is_hybrid (attention + recurrent state) and llm_arch_is_recurrent (DESIGN 5.6): a recurrent
    // state cannot drop an arbitrary tail; llama_model_is_recurrent covers the pure ones in the native library itself.
    private static readonly HashSet<string> HybridArchitectures = new(StringComparer.OrdinalIgnoreCase)
    {
        "jamba", "falcon-h1", "plamo2", "granitehybrid", "lfm2", "lfm2moe", "nemotron_h", "nemotron_h_moe", "qwen3next", "kimi-linear",
        "qwen35", "qwen35moe", "deepseek4",
    };

    private static readonly HashSet<string> RecurrentArchitectures = new(StringComparer.OrdinalIgnoreCase)
    {
        "mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7",
    };

    private readonly LLamaBatch _batch = new();
    private readonly LLamaSeqId[] _sequences = new LLamaSeqId[64];
    private readonly IDisposable _nativeLog;
    private readonly Dictionary<int, byte[]> _checkpoints = new();
    private readonly Dictionary<int, ulong> _checkpointSizes = new();
    private TokenEmbeddingInput? _embeddingInput;
    private bool _disposed;

    private LLamaModelSession(string path, LLamaWeights weights, LLamaContext context, ModelParams parameters, IDisposable nativeLog)
    {
        _nativeLog = nativeLog;
        Path = path;
        Weights = weights;
        Context = context;
        ModelName = System.IO.Path.GetFileNameWithoutExtension(path);
        VocabularySize = weights.Vocab.Count;
        ContextSize = (int)context.ContextSize;
        MaxBatchSize = (int)context.BatchSize;
        MaxSequences = (int)parameters.SeqMax;
        HasUnifiedKvCache = parameters.KVUnified ?? true;
        ProvidesHiddenStates = parameters.Embeddings;
        Architecture = weights.Metadata.GetValueOrDefault("general.architecture") ?? string.Empty;
        IsRecurrent = weights.NativeHandle.IsRecurrent || RecurrentArchitectures.Contains(Architecture) || HybridArchitectures.Contains(Architecture);
        SupportsPartialRemoval = !IsRecurrent;
        SlidingWindow = int.TryParse(weights.Metadata.GetValueOrDefault($"{Architecture}.attention.sliding_window"), out int window) && window > 0 ? window : 0;
        SwaFull = parameters.SwaFull == true;

        // llama.cpp clamps n_rs_seq to 0, logging at debug level only, for architectures without snapshot rollback: ask the context.
        RollbackSnapshots = IsRecurrent ? (int)context.NativeHandle.RecurrentRollbackSnapshots : 0;
        (Rollback, RollbackDepth) = !IsRecurrent
            ? (SequenceRollback.Removal, int.MaxValue)
            : RollbackSnapshots > 0 ? (SequenceRollback.Snapshots, RollbackSnapshots) : (SequenceRollback.CheckpointReplay, 0);
    }

    /// <summary>The GGUF file.</summary>
    public string Path { get; }

    /// <summary>The loaded weights.</summary>
    public LLamaWeights Weights { get; }

    /// <summary>The context (KV cache) this session decodes into.</summary>
    public LLamaContext Context { get; }

    /// <inheritdoc />
    public string ModelName { get; }

    /// <inheritdoc />
    public int VocabularySize { get; }

    /// <inheritdoc />
    public int ContextSize { get; }

    /// <inheritdoc />
    public int MaxBatchSize { get; }

    /// <inheritdoc />
    public int MaxSequences { get; }

    /// <inheritdoc />
    public bool HasUnifiedKvCache { get; }

    /// <inheritdoc />
    public bool ProvidesHiddenStates { get; }

    /// <inheritdoc />
    public bool SupportsPartialRemoval { get; }

    /// <inheritdoc />
    public SequenceRollback Rollback { get; }

    /// <inheritdoc />
    public int RollbackDepth { get; }

    /// <summary>The GGUF's <c>general.architecture</c> (llama, qwen2, qwen35, lfm2, gemma3, mamba, ...).</summary>
    public string Architecture { get; }

    /// <summary>
    /// Whether the model keeps a recurrent state per sequence (pure recurrent like Mamba and RWKV, or hybrid like Qwen3.5,
    /// LFM2, Granite-4-H): rejected drafts are rolled back by native snapshots or by checkpoint and replay.
    /// </summary>
    public bool IsRecurrent { get; }

    /// <summary>Recurrent-state snapshots per sequence the context really got (llama.cpp <c>n_rs_seq</c> after creation; 0 when clamped).</summary>
    public int RollbackSnapshots { get; }

    /// <summary>The sliding attention window (<c>&lt;arch&gt;.attention.sliding_window</c>; 0 when the model has none).</summary>
    public int SlidingWindow { get; }

    /// <summary>Whether the context was created with a full-size sliding-window cache (<c>ModelParams.SwaFull = true</c>): cells that slid out of the window stay, so older prefixes can be restored.</summary>
    public bool SwaFull { get; }

    /// <summary>
    /// Loads a GGUF file and creates its context on the calling thread (the thread that will decode: llama.cpp's
    /// CPU backend runs each decode on an OpenMP team owned by the calling thread). With a progress receiver or
    /// a cancellable token the weights are read through LLamaSharp's asynchronous loader.
    /// </summary>
    /// <param name="path">The GGUF file.</param>
    /// <param name="parameters">Model and context parameters (path is taken from <paramref name="path"/>).</param>
    /// <param name="progress">Receives load progress in [0, 1]; whatever it throws is dropped.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The session.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a GGUF model, is corrupt, or llama.cpp could not load it.</exception>
    /// <exception cref="ModelOutOfMemoryException">Memory or VRAM ran out while loading.</exception>
    public static LLamaModelSession Load(string path, ModelParams parameters, IProgress<float>? progress = null, CancellationToken cancellationToken = default)
        => Load(path, parameters, progress, nativeLogger: null, cancellationToken);

    /// <summary>
    /// Loads a GGUF file and creates its context on the calling thread, sending llama.cpp's log to a logger while the
    /// session lives.
    /// </summary>
    /// <param name="path">The GGUF file.</param>
    /// <param name="parameters">Model and context parameters (path is taken from <paramref name="path"/>).</param>
    /// <param name="progress">Receives load progress in [0, 1]; whatever it throws is dropped.</param>
    /// <param name="nativeLogger">Receives llama.cpp's log until the session is disposed (llama.cpp has one process-wide log callback; each session attaches its logger to it).</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The session.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a GGUF model, is corrupt, or llama.cpp could not load it.</exception>
    /// <exception cref="ModelOutOfMemoryException">Memory or VRAM ran out while loading.</exception>
    public static LLamaModelSession Load(string path, ModelParams parameters, IProgress<float>? progress, ILogger? nativeLogger, CancellationToken cancellationToken = default)
    {
        CheckFile(path, parameters);
        var nativeLog = NativeLogging.Install(nativeLogger);
        try
        {
            var (weights, context) = ModelFileLoader.Load(path, parameters, progress, cancellationToken);
            return new LLamaModelSession(path, weights, context, parameters, nativeLog);
        }
        catch
        {
            nativeLog.Dispose();
            throw;
        }
    }

    /// <summary>Loads a GGUF file and creates its context.</summary>
    /// <param name="path">The GGUF file.</param>
    /// <param name="parameters">Model and context parameters (path is taken from <paramref name="path"/>).</param>
    /// <param name="progress">Receives load progress in [0, 1]; whatever it throws is dropped.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The session.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a GGUF model, is corrupt, or llama.cpp could not load it.</exception>
    /// <exception cref="ModelOutOfMemoryException">Memory or VRAM ran out while loading.</exception>
    public static async Task<LLamaModelSession> LoadAsync(string path, ModelParams parameters, IProgress<float>? progress = null, CancellationToken cancellationToken = default)
    {
        CheckFile(path, parameters);
        var nativeLog = NativeLogging.Install(null);
        try
        {
            var (weights, context) = await ModelFileLoader.LoadAsync(path, parameters, progress, cancellationToken).ConfigureAwait(false);
            return new LLamaModelSession(path, weights, context, parameters, nativeLog);
        }
        catch
        {
            nativeLog.Dispose();
            throw;
        }
    }

    private static void CheckFile(string path, ModelParams parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(parameters);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        }
    }

    /// <inheritdoc />
    public void Decode(DecodeBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (batch.Count > MaxBatchSize)
        {
            throw new ArgumentException($"Batch of {batch.Count} tokens exceeds the batch size {MaxBatchSize} of '{ModelName}'.", nameof(batch));
        }

        _batch.Clear();
        for (int i = 0; i < batch.Count; i++)
        {
            var ids = batch.SequencesAt(i);
            for (int s = 0; s < ids.Length; s++)
            {
                if ((uint)ids[s] >= (uint)MaxSequences)
                {
                    throw new ArgumentException($"Sequence id {ids[s]} is outside 0..{MaxSequences - 1} of '{ModelName}'.", nameof(batch));
                }

                _sequences[s] = (LLamaSeqId)ids[s];
            }

            _batch.Add(batch.TokenAt(i), batch.PositionAt(i), _sequences.AsSpan(0, ids.Length), batch.WantsLogits(i));
        }

        var result = Context.NativeHandle.Decode(_batch);
        if (result == DecodeResult.NoKvSlot)
        {
            throw new KvCacheFullException($"The KV cache of '{ModelName}' ({ContextSize} cells shared by all sequences) has no room for a batch of {batch.Count} tokens; raise ContextSize or lower the number of concurrent requests.");
        }

        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"llama.cpp decode of {batch.Count} tokens failed on '{ModelName}': {result}.");
        }
    }

    /// <inheritdoc />
    public ReadOnlySpan<float> GetLogits(int batchIndex) => Context.NativeHandle.GetLogitsIth(batchIndex);

    /// <inheritdoc />
    public ReadOnlySpan<float> GetHiddenState(int batchIndex)
    {
        if (!ProvidesHiddenStates)
        {
            throw new InvalidOperationException($"'{ModelName}' was loaded without hidden states (Embeddings = false).");
        }

        return Context.NativeHandle.GetEmbeddingsIth(batchIndex);
    }

    /// <inheritdoc />
    public bool RemoveTokens(int sequence, int fromPosition)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var handle = Context.NativeHandle;
        var id = (LLamaSeqId)sequence;
        int before = handle.MemorySequenceMaxPosition(id).Value;
        handle.MemorySequenceRemove(id, fromPosition <= 0 ? -1 : fromPosition, -1);
        if (fromPosition <= 0 || before < fromPosition)
        {
            return true;
        }

        // LLamaSharp drops llama.cpp's result; check what the cache holds now. A recurrent state that could not be cut
        // still ends past the cut; a sliding window that already dropped cells before the cut ends short of it (-1 when
        // it emptied the sequence) or lacks the cells the next position attends to.
        if (handle.MemorySequenceMaxPosition(id).Value != fromPosition - 1)
        {
            return false;
        }

        // (With a full-size cache the older cells are simply there.)
        if (SlidingWindow == 0)
        {
            return true;
        }

        int min = handle.MemorySequenceMinPosition(id).Value;
        return min >= 0 && min <= Math.Max(0, fromPosition - SlidingWindow);
    }

    /// <inheritdoc />
    public int SequenceLength(int sequence)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Context.NativeHandle.MemorySequenceMaxPosition((LLamaSeqId)sequence).Value + 1;
    }

    /// <inheritdoc />
    public unsafe void SaveCheckpoint(int sequence)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var id = (LLamaSeqId)sequence;
        var handle = Context.NativeHandle;
        ulong size = handle.GetStateSize(id);
        if (!_checkpoints.TryGetValue(sequence, out var buffer) || (ulong)buffer.Length < size)
        {
            // One buffer per sequence id, grown as the conversation grows, reused every step.
            buffer = new byte[Math.Max((long)size, 2L * (buffer?.Length ?? 0))];
            _checkpoints[sequence] = buffer;
        }

        fixed (byte* destination = buffer)
        {
            ulong written = handle.GetState(destination, (nuint)buffer.Length, id);
            _checkpointSizes[sequence] = written;
        }
    }

    /// <inheritdoc />
    public unsafe void RestoreCheckpoint(int checkpointSequence, int destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_checkpoints.TryGetValue(checkpointSequence, out var buffer))
        {
            throw new InvalidOperationException($"No checkpoint of sequence {checkpointSequence} was saved on '{ModelName}'.");
        }

        var handle = Context.NativeHandle;
        handle.MemorySequenceRemove((LLamaSeqId)destination, -1, -1);
        fixed (byte* source = buffer)
        {
            ulong read = handle.SetState(source, (nuint)_checkpointSizes[checkpointSequence], (LLamaSeqId)destination);
            if (read == 0)
            {
                throw new InvalidOperationException($"llama.cpp could not restore the checkpoint of sequence {checkpointSequence} into sequence {destination} of '{ModelName}' (KV cache full?).");
            }
        }
    }

    /// <inheritdoc />
    public void CopySequence(int source, int destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Whole-sequence copies only: a partial copy on a non-unified cache aborts the process in ggml.
        if (!HasUnifiedKvCache)
        {
            throw new InvalidOperationException($"'{ModelName}' has a non-unified KV cache; sequence copies are disabled to protect the process.");
        }

        Context.NativeHandle.MemorySequenceRemove((LLamaSeqId)destination, -1, -1);
        Context.NativeHandle.MemorySequenceCopy((LLamaSeqId)source, (LLamaSeqId)destination, -1, -1);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _embeddingInput?.Dispose();
        Context.Dispose();
        Weights.Dispose();
        _nativeLog.Dispose();
    }
}
