using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;
using SpecAI.Extensions.Gguf.Quantization;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Gguf;

/// <summary>
/// A model's input token embeddings (<c>token_embd.weight</c>) read row by row from its GGUF file and dequantized as the
/// file stores them (F32, F16, BF16, Q8_0, Q4_0). Rows are read on first use and cached (at most
/// <see cref="MaxCachedRows"/>; the cache is dropped when full), so a 152k x 3584 matrix is never loaded whole.
/// </summary>
public sealed class GgufTokenEmbeddings : ITokenEmbeddings, IDisposable
{
    /// <summary>The tensor name llama.cpp gives the input embeddings.</summary>
    public const string TensorName = "token_embd.weight";

    /// <summary>Most rows kept in memory at once.</summary>
    public const int MaxCachedRows = 16_384;

    private readonly SafeFileHandle _file;
    private readonly long _dataOffset;
    private readonly long _rowBytes;
    private readonly GgufTensorType _type;
    private readonly ConcurrentDictionary<int, float[]> _rows = new();

    private GgufTokenEmbeddings(SafeFileHandle file, long dataOffset, long rowBytes, GgufTensorType type, int vocabularySize, int dimension)
    {
        _file = file;
        _dataOffset = dataOffset;
        _rowBytes = rowBytes;
        _type = type;
        VocabularySize = vocabularySize;
        Dimension = dimension;
    }

    /// <inheritdoc />
    public int VocabularySize { get; }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <summary>Opens the embeddings of a GGUF model file (the header is read and checked; no row yet).</summary>
    /// <param name="path">The model file.</param>
    /// <returns>The embeddings; dispose to close the file.</returns>
    /// <exception cref="InvalidDataException">The file is not valid GGUF, or has no 2-D <c>token_embd.weight</c>.</exception>
    /// <exception cref="NotSupportedException">The embeddings are stored in a type this library cannot dequantize (K- and I-quants).</exception>
    public static GgufTokenEmbeddings Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        GgufRawHeader raw;
        using (var stream = File.OpenRead(path))
        {
            raw = GgufReader.ReadRawHeader(stream, path);
        }

        var tensor = raw.Tensors.FirstOrDefault(t => t.Name == TensorName)
            ?? throw new InvalidDataException($"GGUF file '{path}' has no tensor '{TensorName}'.");
        if (tensor.Shape.Length != 2 || tensor.Shape[0] < 1 || tensor.Shape[1] < 1 || tensor.Shape[0] > int.MaxValue || tensor.Shape[1] > int.MaxValue)
        {
            throw new InvalidDataException($"GGUF file '{path}': '{TensorName}' has shape [{string.Join(", ", tensor.Shape)}], not [dimension, vocabulary].");
        }

        var type = (GgufTensorType)tensor.Type;
        if (!GgufTensorTypeInfo.IsKnown(type) || !GgufQuantizer.CanDequantize(type))
        {
            throw new NotSupportedException($"GGUF file '{path}': '{TensorName}' is stored as ggml type {tensor.Type}; only F32, F16, BF16, Q8_0 and Q4_0 embeddings can be read.");
        }

        int dimension = (int)tensor.Shape[0];
        if (dimension % GgufTensorTypeInfo.BlockLength(type) != 0)
        {
            throw new InvalidDataException($"GGUF file '{path}': '{TensorName}' rows of {dimension} do not fill whole {type} blocks.");
        }

        long rowBytes = GgufTensorTypeInfo.ByteCount(type, dimension, dimension);
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        return new GgufTokenEmbeddings(file, raw.DataStart + tensor.Offset, rowBytes, type, (int)tensor.Shape[1], dimension);
    }

    /// <inheritdoc />
    public ReadOnlyMemory<float> GetRow(int token)
    {
        if ((uint)token >= (uint)VocabularySize)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"Not a token id of the {VocabularySize}-token vocabulary.");
        }

        ObjectDisposedException.ThrowIf(_file.IsClosed, this);
        if (_rows.TryGetValue(token, out float[]? cached))
        {
            return cached;
        }

        var bytes = new byte[_rowBytes];
        int read = RandomAccess.Read(_file, bytes, _dataOffset + token * _rowBytes);
        if (read != bytes.Length)
        {
            throw new InvalidDataException($"Embedding row {token} is truncated ({read} of {bytes.Length} bytes).");
        }

        var row = new float[Dimension];
        GgufQuantizer.Dequantize(bytes, _type, row);
        if (_rows.Count >= MaxCachedRows)
        {
            _rows.Clear();
        }

        _rows[token] = row;
        return row;
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
