namespace SpecAI.Extensions.Gguf.Quantization;

/// <summary>Chooses the type a tensor is written as when a quantization is requested.</summary>
/// <remarks>
/// Block quantizations need the row length ne0 to be a multiple of 32. Where it is not, Q4_0 falls
/// back to Q8_0 (also blocks of 32, so in practice to F16) and Q8_0 to F16. 1-D tensors (norm
/// weights, biases) stay F32: they are tiny and llama.cpp expects them in full precision.
/// </remarks>
public static class TensorTypeSelector
{
    /// <summary>The type to use for a tensor of <paramref name="shape"/> when <paramref name="requested"/> is asked for.</summary>
    /// <exception cref="ArgumentException">The shape is empty.</exception>
    /// <exception cref="NotSupportedException">The requested type cannot be written.</exception>
    public static GgufTensorType Choose(GgufTensorType requested, IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Count == 0)
        {
            throw new ArgumentException("A tensor shape needs at least one dimension.", nameof(shape));
        }

        if (!GgufQuantizer.CanQuantize(requested))
        {
            throw new NotSupportedException($"Writing {requested} tensors is not supported.");
        }

        if (shape.Count == 1)
        {
            return GgufTensorType.F32;
        }

        GgufTensorType type = requested;
        while (shape[0] % GgufTensorTypeInfo.BlockLength(type) != 0)
        {
            type = type == GgufTensorType.Q4_0 ? GgufTensorType.Q8_0 : GgufTensorType.F16;
        }

        return type;
    }
}
