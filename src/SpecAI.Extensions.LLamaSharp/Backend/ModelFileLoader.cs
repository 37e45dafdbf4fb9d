using LLama;
using LLama.Common;
using LLama.Exceptions;
using SpecAI.Extensions.Gguf;

namespace SpecAI.Extensions.Backend;

/// <summary>
/// Loads a model's weights and context through LLamaSharp with the checks llama.cpp lacks: the file is checked by our
/// GGUF reader first (a file that is not GGUF, or a corrupt one, never reaches native code), and a native failure is
/// told apart as out of memory/VRAM or not loadable from what llama.cpp logged while it failed.
/// </summary>
internal static class ModelFileLoader
{
    /// <summary>Fragments of llama.cpp/ggml messages that mean an allocation failed (CPU, CUDA, Metal, Vulkan).</summary>
    private static readonly string[] MemoryFailures =
    [
        "failed to allocate", "unable to allocate", "out of memory", "cudamalloc failed", "erroroutofdevicememory",
        "erroroutofhostmemory", "insufficient memory", "not enough memory", "failed to create buffer",
    ];

    /// <summary>Loads on the calling thread (through LLamaSharp's asynchronous loader when there is progress to report or a token to watch).</summary>
    /// <exception cref="InvalidDataException">Not a GGUF model, corrupt, or refused by llama.cpp.</exception>
    /// <exception cref="ModelOutOfMemoryException">Memory or VRAM ran out.</exception>
    public static (LLamaWeights Weights, LLamaContext Context) Load(string path, ModelParams parameters, IProgress<float>? progress, CancellationToken cancellationToken)
    {
        if (progress is not null || cancellationToken.CanBeCanceled)
        {
            return LoadAsync(path, parameters, progress, cancellationToken).GetAwaiter().GetResult();
        }

        GgufReader.ValidateModelFile(path);
        using var nativeLog = NativeLogging.Capture();
        LLamaWeights weights;
        try
        {
            weights = LLamaWeights.LoadFromFile(parameters);
        }
        catch (LoadWeightsFailedException ex)
        {
            throw Failure(path, nativeLog.Lines, ex);
        }

        return CreateContext(path, weights, parameters, nativeLog);
    }

    /// <exception cref="InvalidDataException">Not a GGUF model, corrupt, or refused by llama.cpp.</exception>
    /// <exception cref="ModelOutOfMemoryException">Memory or VRAM ran out.</exception>
    public static async Task<(LLamaWeights Weights, LLamaContext Context)> LoadAsync(string path, ModelParams parameters, IProgress<float>? progress, CancellationToken cancellationToken)
    {
        GgufReader.ValidateModelFile(path);
        using var nativeLog = NativeLogging.Capture();
        LLamaWeights weights;
        try
        {
            weights = await LLamaWeights.LoadFromFileAsync(parameters, cancellationToken, GuardedProgress.Wrap(progress)).ConfigureAwait(false);
        }
        catch (LoadWeightsFailedException ex)
        {
            throw Failure(path, nativeLog.Lines, ex);
        }

        return CreateContext(path, weights, parameters, nativeLog);
    }

    private static (LLamaWeights, LLamaContext) CreateContext(string path, LLamaWeights weights, ModelParams parameters, NativeLogCapture nativeLog)
    {
        try
        {
            // Without a size llama.cpp would allocate the training context (128k for many models).
            parameters.ContextSize ??= Math.Min(weights.ContextSize > 0 ? (uint)weights.ContextSize : LLamaModelSession.DefaultContextSize, LLamaModelSession.DefaultContextSize);
            return (weights, weights.CreateContext(parameters));
        }
        catch (RuntimeError ex)
        {
            weights.Dispose();
            throw Failure(path, nativeLog.Lines, ex);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>The exception for a native load failure: out of memory when llama.cpp said so, else not loadable.</summary>
    internal static Exception Failure(string path, IReadOnlyList<string> nativeErrors, Exception inner)
    {
        string detail = nativeErrors.Count == 0 ? inner.Message : string.Join(" | ", nativeErrors.TakeLast(4));
        bool memory = nativeErrors.Any(line => MemoryFailures.Any(f => line.Contains(f, StringComparison.OrdinalIgnoreCase)));
        return memory
            ? new ModelOutOfMemoryException(path, detail, inner)
            : new InvalidDataException($"llama.cpp could not load '{path}' (a well-formed GGUF this backend does not support, or an invalid setting): {detail}", inner);
    }
}
