namespace SpecAI.Extensions.Gguf;

/// <summary>A tensor's name, element type and shape, as listed in a GGUF header.</summary>
/// <remarks>
/// <see cref="Shape"/> is in ggml order: <c>Shape[0]</c> (ne0) is the row length, the innermost
/// dimension. A weight matrix W of shape [out, in] is stored with Shape = [in, out].
/// </remarks>
public sealed class GgufTensorInfo
{
    /// <summary>Creates a tensor description.</summary>
    /// <exception cref="ArgumentException">The name is empty, the shape has no dimension, more than 4, or a non-positive one.</exception>
    public GgufTensorInfo(string name, GgufTensorType type, IReadOnlyList<long> shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Count is < 1 or > 4 || shape.Any(n => n <= 0))
        {
            throw new ArgumentException($"Tensor '{name}' needs 1 to 4 positive dimensions, got [{string.Join(", ", shape)}].", nameof(shape));
        }

        Name = name;
        Type = type;
        Shape = shape.ToArray();
        ElementCount = Shape.Aggregate(1L, (a, b) => checked(a * b));
    }

    /// <summary>The tensor's name, e.g. <c>blk.0.attn_q.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public GgufTensorType Type { get; }

    /// <summary>Dimensions in ggml order (ne0 first, the row length).</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Number of values.</summary>
    public long ElementCount { get; }

    /// <summary>The row length ne0.</summary>
    public long RowLength => Shape[0];

    /// <summary>Bytes the data takes in the file.</summary>
    public long ByteCount => GgufTensorTypeInfo.ByteCount(Type, RowLength, ElementCount);

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Shape)}]";
}
