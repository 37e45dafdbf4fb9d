using System.Text;

namespace SpecAI.Extensions.Gguf;

/// <summary>Reads GGUF v2/v3 files (little endian).</summary>
/// <remarks>Malformed input raises <see cref="InvalidDataException"/> naming the file and what is wrong.</remarks>
public static class GgufReader
{
    /// <summary>The four bytes every GGUF file starts with ("GGUF").</summary>
    public const uint Magic = 0x46554747;

    /// <summary>Reads metadata and tensor descriptions only.</summary>
    /// <exception cref="InvalidDataException">The file is not valid GGUF.</exception>
    public static GgufHeader ReadHeader(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = File.OpenRead(path);
        return ReadHeader(stream, path, out _);
    }

    /// <summary>Reads the whole file, tensor data included.</summary>
    /// <exception cref="InvalidDataException">The file is not valid GGUF.</exception>
    public static GgufFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads a whole GGUF file from a seekable stream; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The data is not valid GGUF.</exception>
    public static GgufFile Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("The stream must be seekable.", nameof(stream));
        }

        GgufHeader header = ReadHeader(stream, sourceName, out IReadOnlyList<long> offsets);
        long dataStart = stream.Position;
        var tensors = new GgufTensor[header.Tensors.Count];
        for (int i = 0; i < tensors.Length; i++)
        {
            GgufTensorInfo info = header.Tensors[i];
            long byteCount = info.ByteCount;
            if (dataStart + offsets[i] + byteCount > stream.Length)
            {
                throw Bad(sourceName, $"tensor '{info.Name}' data ({byteCount} bytes at offset {offsets[i]}) runs past the end of the file");
            }

            var data = new byte[byteCount];
            stream.Position = dataStart + offsets[i];
            stream.ReadExactly(data);
            tensors[i] = new GgufTensor(info, data);
        }

        return new GgufFile(header, tensors);
    }

    private static GgufHeader ReadHeader(Stream stream, string source, out IReadOnlyList<long> offsets)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (reader.ReadUInt32() != Magic)
            {
                throw Bad(source, "it does not start with the GGUF magic");
            }

            uint version = reader.ReadUInt32();
            if (version is not (2 or 3))
            {
                throw Bad(source, $"GGUF version {version} is not supported (2 and 3 are)");
            }

            long tensorCount = ReadCount(reader, source, "tensor count");
            long kvCount = ReadCount(reader, source, "metadata count");
            var metadata = new List<KeyValuePair<string, GgufValue>>((int)Math.Min(kvCount, 4096));
            for (long i = 0; i < kvCount; i++)
            {
                string key = ReadString(reader, source);
                var type = (GgufValueType)reader.ReadUInt32();
                metadata.Add(new(key, ReadValue(reader, source, key, type)));
            }

            int alignment = GgufKeys.DefaultAlignment;
            GgufValue? alignmentValue = metadata.FirstOrDefault(kv => kv.Key == GgufKeys.Alignment).Value;
            if (alignmentValue is not null)
            {
                long a = alignmentValue.Value is uint or int or ulong or long ? alignmentValue.AsInt64() : 0;
                alignment = a is > 0 and <= 1 << 20 && (a & (a - 1)) == 0
                    ? (int)a
                    : throw Bad(source, $"general.alignment must be a power of two, got {alignmentValue}");
            }

            var tensors = new List<GgufTensorInfo>((int)Math.Min(tensorCount, 4096));
            var tensorOffsets = new List<long>(tensors.Capacity);
            for (long i = 0; i < tensorCount; i++)
            {
                tensors.Add(ReadTensorInfo(reader, source, alignment, out long offset));
                tensorOffsets.Add(offset);
            }

            long padding = (alignment - stream.Position % alignment) % alignment;
            stream.Position += padding;
            offsets = tensorOffsets;
            return new GgufHeader(version, metadata, tensors, alignment);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"GGUF file '{source}' is truncated: the header ends early.", e);
        }
    }

    private static GgufTensorInfo ReadTensorInfo(BinaryReader reader, string source, int alignment, out long offset)
    {
        string name = ReadString(reader, source);
        uint dims = reader.ReadUInt32();
        if (dims is < 1 or > 4)
        {
            throw Bad(source, $"tensor '{name}' has {dims} dimensions (1 to 4 allowed)");
        }

        var shape = new long[dims];
        for (int d = 0; d < dims; d++)
        {
            ulong n = reader.ReadUInt64();
            shape[d] = n is > 0 and <= int.MaxValue ? (long)n : throw Bad(source, $"tensor '{name}' has dimension {d} = {n}");
        }

        var type = (GgufTensorType)reader.ReadUInt32();
        if (!GgufTensorTypeInfo.IsKnown(type))
        {
            throw Bad(source, $"tensor '{name}' has unsupported ggml type {(uint)type}");
        }

        ulong rawOffset = reader.ReadUInt64();
        if (rawOffset % (ulong)alignment != 0 || rawOffset > long.MaxValue)
        {
            throw Bad(source, $"tensor '{name}' data offset {rawOffset} is not aligned to {alignment}");
        }

        offset = (long)rawOffset;
        if (shape[0] % GgufTensorTypeInfo.BlockLength(type) != 0)
        {
            throw Bad(source, $"tensor '{name}' row length {shape[0]} is not a multiple of {type}'s block length");
        }

        return new GgufTensorInfo(name, type, shape);
    }

    private static GgufValue ReadValue(BinaryReader reader, string source, string key, GgufValueType type)
    {
        if (type != GgufValueType.Array)
        {
            return ReadScalar(reader, source, key, type);
        }

        var elementType = (GgufValueType)reader.ReadUInt32();
        long count = ReadCount(reader, source, $"array length of '{key}'");
        if (count > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw Bad(source, $"array '{key}' claims {count} elements, more than the file holds");
        }

        int n = (int)count;
        Array values = elementType switch
        {
            GgufValueType.UInt8 => reader.ReadBytes(n),
            GgufValueType.Int8 => Fill(new sbyte[n], _ => reader.ReadSByte()),
            GgufValueType.UInt16 => Fill(new ushort[n], _ => reader.ReadUInt16()),
            GgufValueType.Int16 => Fill(new short[n], _ => reader.ReadInt16()),
            GgufValueType.UInt32 => Fill(new uint[n], _ => reader.ReadUInt32()),
            GgufValueType.Int32 => Fill(new int[n], _ => reader.ReadInt32()),
            GgufValueType.UInt64 => Fill(new ulong[n], _ => reader.ReadUInt64()),
            GgufValueType.Int64 => Fill(new long[n], _ => reader.ReadInt64()),
            GgufValueType.Float32 => Fill(new float[n], _ => reader.ReadSingle()),
            GgufValueType.Float64 => Fill(new double[n], _ => reader.ReadDouble()),
            GgufValueType.Bool => Fill(new bool[n], _ => ReadBool(reader, source, key)),
            GgufValueType.String => Fill(new string[n], _ => ReadString(reader, source)),
            _ => throw Bad(source, $"array '{key}' has unsupported element type {(uint)elementType}"),
        };
        if (values.Length != n)
        {
            throw new EndOfStreamException();
        }

        return GgufValue.Array(elementType, values);
    }

    private static GgufValue ReadScalar(BinaryReader reader, string source, string key, GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => GgufValue.FromUInt8(reader.ReadByte()),
        GgufValueType.Int8 => GgufValue.FromInt8(reader.ReadSByte()),
        GgufValueType.UInt16 => GgufValue.FromUInt16(reader.ReadUInt16()),
        GgufValueType.Int16 => GgufValue.FromInt16(reader.ReadInt16()),
        GgufValueType.UInt32 => GgufValue.FromUInt32(reader.ReadUInt32()),
        GgufValueType.Int32 => GgufValue.FromInt32(reader.ReadInt32()),
        GgufValueType.UInt64 => GgufValue.FromUInt64(reader.ReadUInt64()),
        GgufValueType.Int64 => GgufValue.FromInt64(reader.ReadInt64()),
        GgufValueType.Float32 => GgufValue.FromFloat32(reader.ReadSingle()),
        GgufValueType.Float64 => GgufValue.FromFloat64(reader.ReadDouble()),
        GgufValueType.Bool => GgufValue.FromBool(ReadBool(reader, source, key)),
        GgufValueType.String => GgufValue.FromString(ReadString(reader, source)),
        _ => throw Bad(source, $"metadata '{key}' has unsupported value type {(uint)type}"),
    };

    private static bool ReadBool(BinaryReader reader, string source, string key) => reader.ReadByte() switch
    {
        0 => false,
        1 => true,
        byte b => throw Bad(source, $"metadata '{key}' has bool byte {b}"),
    };

    private static string ReadString(BinaryReader reader, string source)
    {
        ulong length = reader.ReadUInt64();
        if (length > (ulong)(reader.BaseStream.Length - reader.BaseStream.Position))
        {
            throw Bad(source, $"a string claims {length} bytes, more than the file holds");
        }

        byte[] bytes = reader.ReadBytes((int)length);
        return bytes.Length == (int)length ? Encoding.UTF8.GetString(bytes) : throw new EndOfStreamException();
    }

    private static long ReadCount(BinaryReader reader, string source, string what)
    {
        ulong n = reader.ReadUInt64();
        return n <= int.MaxValue ? (long)n : throw Bad(source, $"{what} {n} is too large");
    }

    private static T[] Fill<T>(T[] array, Func<int, T> read)
    {
        for (int i = 0; i < array.Length; i++)
        {
            array[i] = read(i);
        }

        return array;
    }

    private static InvalidDataException Bad(string source, string what) => new($"GGUF file '{source}' is invalid: {what}.");
}
