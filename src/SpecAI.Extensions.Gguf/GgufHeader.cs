namespace SpecAI.Extensions.Gguf;

/// <summary>The metadata and tensor list of a GGUF file, without the tensor data.</summary>
public sealed class GgufHeader
{
    internal GgufHeader(uint version, IReadOnlyList<KeyValuePair<string, GgufValue>> metadata, IReadOnlyList<GgufTensorInfo> tensors, int alignment)
    {
        Version = version;
        MetadataList = metadata;
        Metadata = metadata.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        Tensors = tensors;
        Alignment = alignment;
    }

    /// <summary>The GGUF version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>Metadata by key.</summary>
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }

    /// <summary>Metadata in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> MetadataList { get; }

    /// <summary>Tensor descriptions in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>The data alignment in bytes.</summary>
    public int Alignment { get; }
}
