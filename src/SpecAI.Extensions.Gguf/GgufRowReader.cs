using Microsoft.Win32.SafeHandles;
using SpecAI.Extensions.Gguf.Quantization;

namespace SpecAI.Extensions.Gguf;

/// <summary>
/// Reads single rows of one 2-D tensor of a GGUF file as floats without loading the file (the token embedding
/// table, say: one row per token). Holds the file open until disposed.
/// </summary>
/// <remarks>
/// Dequantizes F32, F16, BF16, Q8_0, Q4_0 and the K-quants Q4_K, Q5_K and Q6_K; any other type raises
/// <see cref="NotSupportedException"/> when the reader is opened. The file is treated as untrusted: the header is
/// checked like <see cref="GgufReader.ValidateModelFile"/> does, and the tensor's data must lie inside the file.
/// </remarks>
public sealed class GgufRowReader : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly long _dataOffset;
    private readonly int _rowBytes;
    private readonly uint _type;
    private readonly byte[] _row;

    private GgufRowReader(SafeFileHandle file, long dataOffset, int rowBytes, uint type, int rowLength, int rowCount)
    {
        (_file, _dataOffset, _rowBytes, _type) = (file, dataOffset, rowBytes, type);
        _row = new byte[rowBytes];
        RowLength = rowLength;
        RowCount = rowCount;
    }

    /// <summary>Values per row (ne0).</summary>
    public int RowLength { get; }

    /// <summary>Number of rows (ne1).</summary>
    public int RowCount { get; }

    /// <summary>The ggml type id of the tensor's data.</summary>
    public uint TypeId => _type;

    /// <summary>Opens <paramref name="tensorName"/> of <paramref name="path"/>.</summary>
    /// <param name="path">The GGUF file.</param>
    /// <param name="tensorName">A 2-D tensor (for example <c>token_embd.weight</c>).</param>
    /// <returns>The reader.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid GGUF, lacks the tensor, or the tensor is not 2-D.</exception>
    /// <exception cref="NotSupportedException">The tensor's type cannot be dequantized here.</exception>
    public static GgufRowReader Open(string path, string tensorName)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(tensorName);
        GgufRawHeader raw;
        using (var stream = File.OpenRead(path))
        {
            raw = GgufReader.ReadRawHeader(stream, path);
        }

        var tensor = raw.Tensors.FirstOrDefault(t => t.Name == tensorName)
            ?? throw GgufHeaderParser.Bad(path, $"it has no tensor '{tensorName}'");
        if (tensor.Shape.Length != 2 || tensor.Shape[0] > int.MaxValue || tensor.Shape[1] > int.MaxValue)
        {
            throw GgufHeaderParser.Bad(path, $"tensor '{tensorName}' has shape [{string.Join(", ", tensor.Shape)}], not a 2-D table");
        }

        int rowLength = (int)tensor.Shape[0];
        long rowBytes = RowBytes(tensor.Type, rowLength, path, tensorName);
        if (tensor.Offset + (rowBytes * tensor.Shape[1]) > raw.FileLength - raw.DataStart)
        {
            throw GgufHeaderParser.Bad(path, $"tensor '{tensorName}' data runs past the end of the file");
        }

        var file = File.OpenHandle(path);
        return new GgufRowReader(file, raw.DataStart + tensor.Offset, (int)rowBytes, tensor.Type, rowLength, (int)tensor.Shape[1]);
    }

    /// <summary>Whether rows of ggml type <paramref name="typeId"/> can be read.</summary>
    /// <param name="typeId">A ggml type id.</param>
    /// <returns>True for F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K and Q6_K.</returns>
    public static bool CanRead(uint typeId)
        => KQuantCodec.SuperBlockBytes(typeId) > 0 || (GgufTensorTypeInfo.IsKnown((GgufTensorType)typeId) && GgufQuantizer.CanDequantize((GgufTensorType)typeId));

    /// <summary>Dequantizes row <paramref name="row"/> into <paramref name="destination"/>.</summary>
    /// <param name="row">Row index (a token id for an embedding table).</param>
    /// <param name="destination">Receives <see cref="RowLength"/> values.</param>
    /// <exception cref="ArgumentOutOfRangeException">The row is outside the table.</exception>
    /// <exception cref="ArgumentException">The destination has the wrong length.</exception>
    public void ReadRow(int row, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_file.IsClosed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, RowCount);
        if (destination.Length != RowLength)
        {
            throw new ArgumentException($"Expected {RowLength} values.", nameof(destination));
        }

        int read = RandomAccess.Read(_file, _row, _dataOffset + ((long)row * _rowBytes));
        if (read != _rowBytes)
        {
            throw new EndOfStreamException($"Row {row} is truncated.");
        }

        if (KQuantCodec.SuperBlockBytes(_type) > 0)
        {
            KQuantCodec.Dequantize(_type, _row, destination);
        }
        else
        {
            GgufQuantizer.Dequantize(_row, (GgufTensorType)_type, destination);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    private static long RowBytes(uint type, int rowLength, string path, string tensorName)
    {
        if (!CanRead(type))
        {
            throw new NotSupportedException($"Tensor '{tensorName}' of '{path}' has ggml type {type}; rows can be read for F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K and Q6_K.");
        }

        int superBlock = KQuantCodec.SuperBlockBytes(type);
        if (superBlock > 0)
        {
            return rowLength % KQuantCodec.SuperBlockLength == 0
                ? rowLength / KQuantCodec.SuperBlockLength * (long)superBlock
                : throw GgufHeaderParser.Bad(path, $"tensor '{tensorName}' rows of {rowLength} are not whole K-quant super-blocks");
        }

        var known = (GgufTensorType)type;
        return rowLength % GgufTensorTypeInfo.BlockLength(known) == 0
            ? GgufTensorTypeInfo.ByteCount(known, rowLength, rowLength)
            : throw GgufHeaderParser.Bad(path, $"tensor '{tensorName}' rows of {rowLength} are not whole {known} blocks");
    }
}
