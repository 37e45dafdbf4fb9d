using System.Text;

namespace SpecAI.Extensions.Gguf;

/// <summary>Builds a GGUF v3 file: metadata, tensor descriptions, aligned tensor data.</summary>
/// <remarks>
/// The alignment is <c>general.alignment</c> when that key is set (a power of two, UInt32), else 32.
/// Metadata keeps insertion order; setting an existing key replaces its value in place.
/// </remarks>
public sealed class GgufWriter
{
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly List<GgufTensor> _tensors = [];

    /// <summary>Metadata in the order it will be written.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata => _metadata;

    /// <summary>Tensors in the order they will be written.</summary>
    public IReadOnlyList<GgufTensor> Tensors => _tensors;

    /// <summary>Sets (adds or replaces) a metadata value.</summary>
    /// <exception cref="ArgumentException">The key is empty, or general.alignment is not a power-of-two UInt32.</exception>
    public GgufWriter SetMetadata(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (key == GgufKeys.Alignment && (value.Value is not uint a || a == 0 || (a & (a - 1)) != 0))
        {
            throw new ArgumentException("general.alignment must be a power-of-two UInt32.", nameof(value));
        }

        int index = _metadata.FindIndex(kv => kv.Key == key);
        if (index >= 0)
        {
            _metadata[index] = new(key, value);
        }
        else
        {
            _metadata.Add(new(key, value));
        }

        return this;
    }

    /// <summary>Removes a metadata key if present.</summary>
    public bool RemoveMetadata(string key) => _metadata.RemoveAll(kv => kv.Key == key) > 0;

    /// <summary>Adds a tensor.</summary>
    /// <exception cref="ArgumentException">A tensor with the same name was already added.</exception>
    public GgufWriter AddTensor(GgufTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (_tensors.Any(t => t.Name == tensor.Name))
        {
            throw new ArgumentException($"A tensor named '{tensor.Name}' was already added.", nameof(tensor));
        }

        _tensors.Add(tensor);
        return this;
    }

    /// <summary>Quantizes <paramref name="values"/> as <paramref name="type"/> and adds the tensor.</summary>
    /// <exception cref="ArgumentException">The name is taken, the values do not fill the shape, or ne0 is not a multiple of the block length.</exception>
    public GgufWriter AddTensor(string name, GgufTensorType type, IReadOnlyList<long> shape, ReadOnlySpan<float> values) =>
        AddTensor(GgufTensor.FromFloats(name, type, shape, values));

    /// <summary>Writes the file to <paramref name="path"/> (overwriting it).</summary>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = File.Create(path);
        WriteTo(stream);
    }

    /// <summary>Writes the file to <paramref name="stream"/>, which must start the file at position 0 (header padding uses its position).</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        int alignment = _metadata.FirstOrDefault(kv => kv.Key == GgufKeys.Alignment).Value?.Value is uint a ? (int)a : GgufKeys.DefaultAlignment;
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(GgufReader.Magic);
        writer.Write(3u);
        writer.Write((ulong)_tensors.Count);
        writer.Write((ulong)_metadata.Count);
        foreach ((string key, GgufValue value) in _metadata)
        {
            WriteString(writer, key);
            writer.Write((uint)value.Type);
            WriteValue(writer, value);
        }

        long offset = 0;
        foreach (GgufTensor tensor in _tensors)
        {
            WriteString(writer, tensor.Name);
            writer.Write((uint)tensor.Shape.Count);
            foreach (long n in tensor.Shape)
            {
                writer.Write((ulong)n);
            }

            writer.Write((uint)tensor.Type);
            writer.Write((ulong)offset);
            offset = Align(offset + tensor.Data.Length, alignment);
        }

        writer.Flush();
        Pad(writer, Align(writer.BaseStream.Position, alignment) - writer.BaseStream.Position);
        foreach (GgufTensor tensor in _tensors)
        {
            writer.Write(tensor.Data.Span);
            Pad(writer, Align(tensor.Data.Length, alignment) - tensor.Data.Length);
        }

        writer.Flush();
    }

    private static void WriteValue(BinaryWriter writer, GgufValue value)
    {
        if (!value.IsArray)
        {
            WriteScalar(writer, value.Value);
            return;
        }

        var array = (Array)value.Value;
        writer.Write((uint)value.ElementType);
        writer.Write((ulong)array.Length);
        if (array is byte[] bytes)
        {
            writer.Write(bytes);
            return;
        }

        foreach (object item in array)
        {
            WriteScalar(writer, item);
        }
    }

    private static void WriteScalar(BinaryWriter writer, object value)
    {
        switch (value)
        {
            case string s: WriteString(writer, s); break;
            case bool b: writer.Write((byte)(b ? 1 : 0)); break;
            case byte v: writer.Write(v); break;
            case sbyte v: writer.Write(v); break;
            case ushort v: writer.Write(v); break;
            case short v: writer.Write(v); break;
            case uint v: writer.Write(v); break;
            case int v: writer.Write(v); break;
            case ulong v: writer.Write(v); break;
            case long v: writer.Write(v); break;
            case float v: writer.Write(v); break;
            case double v: writer.Write(v); break;
            default: throw new InvalidOperationException($"Cannot write a {value.GetType()} as GGUF.");
        }
    }

    private static void WriteString(BinaryWriter writer, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private static void Pad(BinaryWriter writer, long count)
    {
        for (long i = 0; i < count; i++)
        {
            writer.Write((byte)0);
        }
    }

    private static long Align(long n, int alignment) => (n + alignment - 1) / alignment * alignment;
}
