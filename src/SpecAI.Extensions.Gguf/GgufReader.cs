namespace SpecAI.Extensions.Gguf;

/// <summary>Reads GGUF v2/v3 files (little endian).</summary>
/// <remarks>
/// Files are treated as untrusted: every count, length and offset is checked against the file before it is used,
/// metadata keys and tensor names must be unique, and tensor data ranges must lie inside the file without overlapping
/// (so their total fits too). Malformed input raises <see cref="InvalidDataException"/> naming the file and the field.
/// </remarks>
public static class GgufReader
{
    /// <summary>The four bytes every GGUF file starts with ("GGUF").</summary>
    public const uint Magic = 0x46554747;

    /// <summary>Reads metadata and tensor descriptions only (the data ranges are checked against the file).</summary>
    /// <exception cref="InvalidDataException">The file is not valid GGUF, or holds a tensor type this library cannot read.</exception>
    public static GgufHeader ReadHeader(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = File.OpenRead(path);
        return ToHeader(ParseChecked(stream, path), path);
    }

    /// <summary>Reads the whole file, tensor data included.</summary>
    /// <exception cref="InvalidDataException">The file is not valid GGUF, or holds a tensor type this library cannot read.</exception>
    public static GgufFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads a whole GGUF file from a seekable stream; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The data is not valid GGUF, or holds a tensor type this library cannot read.</exception>
    /// <exception cref="NotSupportedException">A tensor is larger than one .NET array can hold (2 GB).</exception>
    public static GgufFile Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("The stream must be seekable.", nameof(stream));
        }

        GgufRawHeader raw = ParseChecked(stream, sourceName);
        GgufHeader header = ToHeader(raw, sourceName);
        var tensors = new GgufTensor[header.Tensors.Count];
        for (int i = 0; i < tensors.Length; i++)
        {
            GgufTensorInfo info = header.Tensors[i];
            long byteCount = info.ByteCount;
            if (byteCount > Array.MaxLength)
            {
                throw new NotSupportedException($"GGUF file '{sourceName}': tensor '{info.Name}' has {byteCount} bytes, more than one array can hold.");
            }

            var data = new byte[byteCount];
            stream.Position = raw.DataStart + raw.Tensors[i].Offset;
            stream.ReadExactly(data);
            tensors[i] = new GgufTensor(info, data);
        }

        return new GgufFile(header, tensors);
    }

    /// <summary>
    /// Checks that a model file is well-formed GGUF before it is handed to a native loader: magic, version, every
    /// count, length and offset within the file, unique keys and tensor names, and tensor data inside the file without
    /// overlaps. Tensor types this library cannot decode (most K- and I-quants) are accepted; their ranges are checked
    /// where their block layout is known here.
    /// </summary>
    /// <param name="path">The GGUF file.</param>
    /// <exception cref="InvalidDataException">The file is not well-formed GGUF (the message names the file and the field).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static void ValidateModelFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = File.OpenRead(path);
        Validate(stream, path);
    }

    /// <summary>The checked header with tensor types as raw numbers and data offsets (types this library cannot decode allowed).</summary>
    internal static GgufRawHeader ReadRawHeader(Stream stream, string sourceName) => ParseChecked(stream, sourceName);

    /// <summary><see cref="ValidateModelFile(string)"/> over a seekable stream.</summary>
    internal static void Validate(Stream stream, string sourceName) => _ = ParseChecked(stream, sourceName);

    private static GgufRawHeader ParseChecked(Stream stream, string source)
    {
        GgufRawHeader raw = GgufHeaderParser.Parse(stream, source);
        CheckDataRanges(raw, source);
        return raw;
    }

    /// <summary>Each tensor's data lies in the data section and no two overlap (so the total fits as well).</summary>
    private static void CheckDataRanges(GgufRawHeader raw, string source)
    {
        long available = raw.FileLength - raw.DataStart;
        GgufRawTensor? previous = null;
        long previousEnd = 0;
        foreach (var tensor in raw.Tensors.OrderBy(t => t.Offset))
        {
            if (tensor.Offset > available)
            {
                throw GgufHeaderParser.Bad(source, $"tensor '{tensor.Name}' data offset {tensor.Offset} is past the end of the file ({available} bytes of data)");
            }

            if (previous is not null && tensor.Offset < previousEnd)
            {
                throw GgufHeaderParser.Bad(source, $"the data of tensors '{previous.Name}' and '{tensor.Name}' overlap");
            }

            if (tensor.ByteCount is long bytes && bytes > available - tensor.Offset)
            {
                throw GgufHeaderParser.Bad(source, $"tensor '{tensor.Name}' data ({bytes} bytes at offset {tensor.Offset}) runs past the end of the file (truncated?)");
            }

            // A tensor of unknown layout takes at least one byte.
            previousEnd = tensor.Offset + (tensor.ByteCount ?? 1);
            previous = tensor;
        }
    }

    private static GgufHeader ToHeader(GgufRawHeader raw, string source)
    {
        var tensors = new List<GgufTensorInfo>(raw.Tensors.Count);
        foreach (var tensor in raw.Tensors)
        {
            var type = (GgufTensorType)tensor.Type;
            if (!GgufTensorTypeInfo.IsKnown(type))
            {
                throw GgufHeaderParser.Bad(source, $"tensor '{tensor.Name}' has unsupported ggml type {tensor.Type}");
            }

            tensors.Add(new GgufTensorInfo(tensor.Name, type, tensor.Shape));
        }

        return new GgufHeader(raw.Version, raw.Metadata, tensors, raw.Alignment);
    }
}
