using System.Collections.Concurrent;
using SpecAI.Extensions.Verification;

namespace SpecAI.Extensions.Gguf;

/// <summary>
/// A model's input token embeddings (<c>token_embd.weight</c>) read row by row from its GGUF file and dequantized as the
/// file stores them (every type <see cref="GgufRowReader"/> reads: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K). Rows
/// are read on first use and cached (at most <see cref="MaxCachedRows"/>; the cache is dropped when full), so a
/// 152k x 3584 matrix is never loaded whole.
/// </summary>
public sealed class GgufTokenEmbeddings : ITokenEmbeddings, IDisposable
{
    /// <summary>The tensor name llama.cpp gives the input embeddings.</summary>
    public const string TensorName = "token_embd.weight";

    /// <summary>Most rows kept in memory at once.</summary>
    public const int MaxCachedRows = 16_384;

    private readonly GgufRowReader _reader;
    private readonly ConcurrentDictionary<int, float[]> _rows = new();

    private GgufTokenEmbeddings(GgufRowReader reader) => _reader = reader;

    /// <inheritdoc />
    public int VocabularySize => _reader.RowCount;

    /// <inheritdoc />
    public int Dimension => _reader.RowLength;

    /// <summary>Opens the embeddings of a GGUF model file (the header is read and checked; no row yet).</summary>
    /// <param name="path">The model file.</param>
    /// <returns>The embeddings; dispose to close the file.</returns>
    /// <exception cref="InvalidDataException">The file is not valid GGUF, or has no 2-D <c>token_embd.weight</c>.</exception>
    /// <exception cref="NotSupportedException">The embeddings are stored in a type this library cannot dequantize (I-quants, Q2_K, Q3_K).</exception>
    public static GgufTokenEmbeddings Open(string path) => new(GgufRowReader.Open(path, TensorName));

    /// <inheritdoc />
    public ReadOnlyMemory<float> GetRow(int token)
    {
        if ((uint)token >= (uint)VocabularySize)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"Not a token id of the {VocabularySize}-token vocabulary.");
        }

        if (_rows.TryGetValue(token, out float[]? cached))
        {
            return cached;
        }

        var row = new float[Dimension];
        lock (_reader)
        {
            // The reader decodes through one row buffer of its own.
            _reader.ReadRow(token, row);
        }

        if (_rows.Count >= MaxCachedRows)
        {
            _rows.Clear();
        }

        _rows[token] = row;
        return row;
    }

    /// <inheritdoc />
    public void Dispose() => _reader.Dispose();
}
