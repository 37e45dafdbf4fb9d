using System.Text;

namespace SpecAI.Extensions.Gguf;

/// <summary>
/// Parses a GGUF header from untrusted bytes: every count and length is checked against the bytes left in the
/// file before anything is allocated, so a forged header cannot ask for gigabytes or run past the end.
/// </summary>
/// <remarks>Every problem is an <see cref="InvalidDataException"/> naming the file and the field.</remarks>
internal sealed class GgufHeaderParser
{
    /// <summary>Bytes a tensor description takes at least (name length, dimension count, one dimension, type, offset).</summary>
    private const int MinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

    /// <summary>Bytes a metadata entry takes at least (key length, type, one byte of value).</summary>
    private const int MinEntryBytes = 8 + 4 + 1;

    private readonly BinaryReader _reader;
    private readonly Stream _stream;
    private readonly long _length;

    private GgufHeaderParser(Stream stream, string source)
    {
        _stream = stream;
        _length = stream.Length;
        _reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        Source = source;
    }

    /// <summary>The file name used in messages.</summary>
    public string Source { get; }

    private long Remaining => _length - _stream.Position;

    /// <summary>Reads the header; the stream is left at the start of the tensor data.</summary>
    /// <exception cref="InvalidDataException">The header is not valid GGUF.</exception>
    public static GgufRawHeader Parse(Stream stream, string source)
    {
        var parser = new GgufHeaderParser(stream, source);
        try
        {
            return parser.Parse();
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"GGUF file '{source}' is truncated: the header ends early.", e);
        }
        finally
        {
            parser._reader.Dispose();
        }
    }

    /// <summary>An <see cref="InvalidDataException"/> naming the file and what is wrong.</summary>
    public static InvalidDataException Bad(string source, string what) => new($"GGUF file '{source}' is invalid: {what}.");

    private GgufRawHeader Parse()
    {
        if (_reader.ReadUInt32() != GgufReader.Magic)
        {
            throw Bad(Source, "it does not start with the GGUF magic");
        }

        uint version = _reader.ReadUInt32();
        if (version is not (2 or 3))
        {
            throw Bad(Source, $"GGUF version {version} is not supported (2 and 3 are)");
        }

        long tensorCount = ReadCount("tensor count", MinTensorInfoBytes);
        long kvCount = ReadCount("metadata count", MinEntryBytes);
        var metadata = new List<KeyValuePair<string, GgufValue>>((int)Math.Min(kvCount, 4096));
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < kvCount; i++)
        {
            string key = ReadString($"metadata key #{i}");
            if (!keys.Add(key))
            {
                throw Bad(Source, $"metadata key '{key}' appears twice");
            }

            var type = (GgufValueType)_reader.ReadUInt32();
            metadata.Add(new(key, ReadValue(key, type)));
        }

        int alignment = Alignment(metadata);
        var tensors = new List<GgufRawTensor>((int)Math.Min(tensorCount, 4096));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (long i = 0; i < tensorCount; i++)
        {
            var tensor = ReadTensorInfo(i, alignment);
            if (!names.Add(tensor.Name))
            {
                throw Bad(Source, $"tensor name '{tensor.Name}' appears twice");
            }

            tensors.Add(tensor);
        }

        long dataStart = _stream.Position + (alignment - _stream.Position % alignment) % alignment;
        if (tensors.Count > 0 && dataStart > _length)
        {
            throw Bad(Source, "the tensor data section starts past the end of the file");
        }

        _stream.Position = Math.Min(dataStart, _length);
        return new GgufRawHeader(version, metadata, tensors, alignment, dataStart, _length);
    }

    private int Alignment(List<KeyValuePair<string, GgufValue>> metadata)
    {
        GgufValue? value = metadata.FirstOrDefault(kv => kv.Key == GgufKeys.Alignment).Value;
        if (value is null)
        {
            return GgufKeys.DefaultAlignment;
        }

        long a = value.Value switch
        {
            uint u => u,
            int i => i,
            long l => l,
            ulong u when u <= int.MaxValue => (long)u,
            _ => 0,
        };
        return a is > 0 and <= 1 << 20 && (a & (a - 1)) == 0
            ? (int)a
            : throw Bad(Source, $"{GgufKeys.Alignment} must be a power of two up to 2^20, got {value}");
    }

    private GgufRawTensor ReadTensorInfo(long index, int alignment)
    {
        string name = ReadString($"name of tensor #{index}");
        if (name.Length == 0)
        {
            throw Bad(Source, $"tensor #{index} has an empty name");
        }

        uint dims = _reader.ReadUInt32();
        if (dims is < 1 or > 4)
        {
            throw Bad(Source, $"tensor '{name}' has {dims} dimensions (1 to 4 allowed)");
        }

        var shape = new long[dims];
        long elements = 1;
        for (int d = 0; d < dims; d++)
        {
            ulong n = _reader.ReadUInt64();
            shape[d] = n is > 0 and <= int.MaxValue ? (long)n : throw Bad(Source, $"tensor '{name}' has dimension {d} = {n}");
            elements = elements <= long.MaxValue / shape[d] ? elements * shape[d] : throw Bad(Source, $"tensor '{name}' shape [{string.Join(", ", shape.Take(d + 1))}] overflows the element count");
        }

        uint type = _reader.ReadUInt32();
        ulong rawOffset = _reader.ReadUInt64();
        if (rawOffset > long.MaxValue || rawOffset % (ulong)alignment != 0)
        {
            throw Bad(Source, $"tensor '{name}' data offset {rawOffset} is not aligned to {alignment} or too large");
        }

        long? bytes = null;
        if (GgufTypeSizes.Layout(type) is var (block, blockBytes))
        {
            if (shape[0] % block != 0)
            {
                throw Bad(Source, $"tensor '{name}' row length {shape[0]} is not a multiple of the block length {block} of ggml type {type}");
            }

            long blocks = elements / block;
            bytes = blocks <= long.MaxValue / blockBytes ? blocks * blockBytes : throw Bad(Source, $"tensor '{name}' of shape [{string.Join(", ", shape)}] overflows the byte count");
        }

        return new GgufRawTensor(name, type, shape, (long)rawOffset, bytes);
    }

    private GgufValue ReadValue(string key, GgufValueType type)
    {
        if (type != GgufValueType.Array)
        {
            return ReadScalar(key, type);
        }

        var elementType = (GgufValueType)_reader.ReadUInt32();
        int size = elementType switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
            GgufValueType.String => 8, // at least its length
            _ => throw Bad(Source, $"array '{key}' has unsupported element type {(uint)elementType}"),
        };
        int n = (int)ReadCount($"array length of '{key}'", size);
        Array values = elementType switch
        {
            GgufValueType.UInt8 => ReadExactly(n),
            GgufValueType.Int8 => Fill(new sbyte[n], () => _reader.ReadSByte()),
            GgufValueType.UInt16 => Fill(new ushort[n], () => _reader.ReadUInt16()),
            GgufValueType.Int16 => Fill(new short[n], () => _reader.ReadInt16()),
            GgufValueType.UInt32 => Fill(new uint[n], () => _reader.ReadUInt32()),
            GgufValueType.Int32 => Fill(new int[n], () => _reader.ReadInt32()),
            GgufValueType.UInt64 => Fill(new ulong[n], () => _reader.ReadUInt64()),
            GgufValueType.Int64 => Fill(new long[n], () => _reader.ReadInt64()),
            GgufValueType.Float32 => Fill(new float[n], () => _reader.ReadSingle()),
            GgufValueType.Float64 => Fill(new double[n], () => _reader.ReadDouble()),
            GgufValueType.Bool => Fill(new bool[n], () => ReadBool(key)),
            _ => Fill(new string[n], () => ReadString($"an element of '{key}'")),
        };
        return GgufValue.Array(elementType, values);
    }

    private GgufValue ReadScalar(string key, GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => GgufValue.FromUInt8(_reader.ReadByte()),
        GgufValueType.Int8 => GgufValue.FromInt8(_reader.ReadSByte()),
        GgufValueType.UInt16 => GgufValue.FromUInt16(_reader.ReadUInt16()),
        GgufValueType.Int16 => GgufValue.FromInt16(_reader.ReadInt16()),
        GgufValueType.UInt32 => GgufValue.FromUInt32(_reader.ReadUInt32()),
        GgufValueType.Int32 => GgufValue.FromInt32(_reader.ReadInt32()),
        GgufValueType.UInt64 => GgufValue.FromUInt64(_reader.ReadUInt64()),
        GgufValueType.Int64 => GgufValue.FromInt64(_reader.ReadInt64()),
        GgufValueType.Float32 => GgufValue.FromFloat32(_reader.ReadSingle()),
        GgufValueType.Float64 => GgufValue.FromFloat64(_reader.ReadDouble()),
        GgufValueType.Bool => GgufValue.FromBool(ReadBool(key)),
        GgufValueType.String => GgufValue.FromString(ReadString($"value of '{key}'")),
        _ => throw Bad(Source, $"metadata '{key}' has unsupported value type {(uint)type}"),
    };

    private bool ReadBool(string key) => _reader.ReadByte() switch
    {
        0 => false,
        1 => true,
        byte b => throw Bad(Source, $"metadata '{key}' has bool byte {b}"),
    };

    private string ReadString(string what)
    {
        ulong length = _reader.ReadUInt64();
        if (length > (ulong)Math.Max(Remaining, 0) || length > int.MaxValue)
        {
            throw Bad(Source, $"{what} claims {length} bytes, more than the file holds");
        }

        return Encoding.UTF8.GetString(ReadExactly((int)length));
    }

    private byte[] ReadExactly(int count)
    {
        byte[] bytes = _reader.ReadBytes(count);
        return bytes.Length == count ? bytes : throw new EndOfStreamException();
    }

    /// <summary>A count whose items take at least <paramref name="bytesEach"/> bytes: it must fit in what is left.</summary>
    private long ReadCount(string what, int bytesEach)
    {
        ulong n = _reader.ReadUInt64();
        ulong fits = (ulong)Math.Max(Remaining, 0) / (ulong)bytesEach;
        return n <= fits && n <= int.MaxValue ? (long)n : throw Bad(Source, $"{what} {n} needs more bytes than the file holds");
    }

    private static T[] Fill<T>(T[] array, Func<T> read)
    {
        for (int i = 0; i < array.Length; i++)
        {
            array[i] = read();
        }

        return array;
    }
}
