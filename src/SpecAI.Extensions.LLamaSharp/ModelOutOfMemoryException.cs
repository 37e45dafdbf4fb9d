namespace SpecAI.Extensions;

/// <summary>
/// A well-formed model could not be loaded because memory or VRAM ran out (weights, KV cache or compute buffers).
/// Lower <c>GpuLayerCount</c>, <c>ContextSize</c>, <c>BatchSize</c> or <c>SequenceCount</c>, or use a smaller quantization.
/// </summary>
/// <remarks>A file that is not a GGUF model, or a corrupt one, raises <see cref="InvalidDataException"/> instead.</remarks>
public sealed class ModelOutOfMemoryException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="modelPath">The model file.</param>
    /// <param name="detail">What llama.cpp reported.</param>
    /// <param name="innerException">The backend's exception.</param>
    public ModelOutOfMemoryException(string modelPath, string detail, Exception? innerException = null)
        : base($"Out of memory or VRAM loading '{modelPath}': {detail}. Lower GpuLayerCount, ContextSize, BatchSize or SequenceCount, or use a smaller quantization.", innerException)
    {
        ModelPath = modelPath;
    }

    /// <summary>The model file.</summary>
    public string ModelPath { get; }
}
