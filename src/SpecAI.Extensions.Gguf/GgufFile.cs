namespace SpecAI.Extensions.Gguf;

/// <summary>A whole GGUF file in memory: metadata and tensors with their data.</summary>
public sealed class GgufFile
{
    private readonly Dictionary<string, GgufTensor> _byName;

    internal GgufFile(GgufHeader header, IReadOnlyList<GgufTensor> tensors)
    {
        Header = header;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Version, metadata and tensor descriptions.</summary>
    public GgufHeader Header { get; }

    /// <summary>Metadata by key.</summary>
    public IReadOnlyDictionary<string, GgufValue> Metadata => Header.Metadata;

    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<GgufTensor> Tensors { get; }

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public GgufTensor GetTensor(string name) =>
        _byName.TryGetValue(name, out GgufTensor? tensor) ? tensor : throw new KeyNotFoundException($"No tensor named '{name}'.");

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GgufTensor? tensor) =>
        _byName.TryGetValue(name, out tensor);
}
