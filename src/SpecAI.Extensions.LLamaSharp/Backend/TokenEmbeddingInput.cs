using LLama.Native;
using SpecAI.Extensions.Engine;
using SpecAI.Extensions.Gguf;

namespace SpecAI.Extensions.Backend;

/// <summary>
/// Input embeddings for a llama.cpp context: token rows read from the GGUF's <c>token_embd.weight</c> (dequantized
/// by our GGUF code: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K) and decoded through an embedding batch
/// (llama.cpp <c>batch.embd</c>).
/// </summary>
/// <remarks>
/// llama.cpp's graph takes an embedding batch where it would take <c>get_rows(token_embd, tokens)</c>, so the row is
/// exactly the token's input only where nothing is applied between the lookup and the first layer outside the graph.
/// Supported: <c>llama</c> (checked: decoding a token's row gives the token's logits). Other architectures are
/// refused: some scale the rows (Gemma by sqrt(width), Granite by a factor), some add per-layer token inputs
/// (Gemma 3n), and we have not checked the rest.
/// </remarks>
internal sealed class TokenEmbeddingInput : IDisposable
{
    /// <summary>Architectures whose token input is the plain <c>token_embd</c> row.</summary>
    public static readonly IReadOnlySet<string> SupportedArchitectures = new HashSet<string>(StringComparer.Ordinal) { "llama" };

    private readonly GgufRowReader _rows;
    private readonly Dictionary<int, float[]> _cache = new();
    private readonly LLamaBatchEmbeddings _batch;

    private TokenEmbeddingInput(GgufRowReader rows)
    {
        _rows = rows;
        _batch = new LLamaBatchEmbeddings(rows.RowLength);
    }

    public int Width => _rows.RowLength;

    public static TokenEmbeddingInput Open(string path, string architecture, int vocabularySize, int width, string modelName)
    {
        if (!SupportedArchitectures.Contains(architecture))
        {
            throw new EmbeddingInputNotSupportedException($"'{modelName}' is a '{architecture}' model; embedding input (Superposed Decoding) is supported for: {string.Join(", ", SupportedArchitectures)}.");
        }

        GgufRowReader rows;
        try
        {
            rows = GgufRowReader.Open(path, "token_embd.weight");
        }
        catch (NotSupportedException ex)
        {
            throw new EmbeddingInputNotSupportedException($"The token embeddings of '{modelName}' cannot be read: {ex.Message}", ex);
        }

        if (rows.RowCount != vocabularySize || rows.RowLength != width)
        {
            rows.Dispose();
            throw new EmbeddingInputNotSupportedException($"token_embd.weight of '{modelName}' is {rows.RowLength} x {rows.RowCount}, not width {width} x vocabulary {vocabularySize}.");
        }

        return new TokenEmbeddingInput(rows);
    }

    public void Row(int token, Span<float> destination)
    {
        if (!_cache.TryGetValue(token, out var row))
        {
            row = new float[Width];
            _rows.ReadRow(token, row);

            // Bounded: suggestions touch few distinct tokens per request, but a server lives long.
            if (_cache.Count >= 4096)
            {
                _cache.Clear();
            }

            _cache[token] = row;
        }

        row.CopyTo(destination);
    }

    public DecodeResult Decode(SafeLLamaContextHandle context, ReadOnlySpan<float> embedding, int sequence, int position)
    {
        _batch.Clear();
        _batch.Add(embedding, position, (LLamaSeqId)sequence, true);
        return context.Decode(_batch);
    }

    public void Dispose() => _rows.Dispose();
}
