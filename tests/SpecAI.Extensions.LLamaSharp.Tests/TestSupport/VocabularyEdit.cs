using SpecAI.Extensions.Gguf;

namespace SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

/// <summary>
/// A GGUF model's vocabulary, edited token by token, written back with the embedding and output rows that go
/// with it (each new id takes the row of a source id, or zeros). Used to make draft/target pairs of known
/// vocabulary relations from stories260K.
/// </summary>
internal sealed class VocabularyEdit
{
    private const string Prefix = "tokenizer.ggml.";

    public VocabularyEdit(string sourcePath)
    {
        Source = GgufReader.Read(sourcePath);
        Tokens = [.. Source.Metadata[Prefix + "tokens"].AsArray<string>()];
        Scores = [.. Source.Metadata[Prefix + "scores"].AsArray<float>()];
        Types = [.. Source.Metadata[Prefix + "token_type"].AsArray<int>()];
        Rows = Enumerable.Range(0, Tokens.Count).ToList();
        Model = Source.Metadata[Prefix + "model"].AsString();
    }

    public GgufFile Source { get; }

    public List<string> Tokens { get; }

    public List<float> Scores { get; }

    /// <summary>llama.cpp token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.</summary>
    public List<int> Types { get; }

    /// <summary>For each token, the source token whose embedding and output rows it takes (-1: zeros).</summary>
    public List<int> Rows { get; }

    public string Model { get; set; }

    public string? PreTokenizer { get; set; }

    public List<string>? Merges { get; set; }

    public void Add(string text, int type, int row, float score = 0)
    {
        Tokens.Add(text);
        Types.Add(type);
        Rows.Add(row);
        Scores.Add(score);
    }

    /// <summary>Puts token <c>order[i]</c> at id i (a permutation of the ids).</summary>
    public void Reorder(IReadOnlyList<int> order)
    {
        foreach (var list in new System.Collections.IList[] { Tokens, Scores, Types, Rows })
        {
            var copy = order.Select(i => list[i]).ToArray();
            for (int i = 0; i < copy.Length; i++)
            {
                list[i] = copy[i];
            }
        }
    }

    public void Write(string path)
    {
        var writer = new GgufWriter();
        foreach (var (key, value) in Source.Header.MetadataList)
        {
            if (!key.StartsWith(Prefix, StringComparison.Ordinal) || key is Prefix + "bos_token_id" or Prefix + "eos_token_id" or Prefix + "unknown_token_id" or Prefix + "seperator_token_id" or Prefix + "padding_token_id")
            {
                writer.SetMetadata(key, value);
            }
        }

        writer.SetMetadata(Prefix + "model", GgufValue.FromString(Model));
        if (PreTokenizer is not null)
        {
            writer.SetMetadata(Prefix + "pre", GgufValue.FromString(PreTokenizer));
        }

        writer.SetMetadata(Prefix + "tokens", GgufValue.FromArray(Tokens.ToArray()));
        writer.SetMetadata(Prefix + "scores", GgufValue.FromArray(Scores.ToArray()));
        writer.SetMetadata(Prefix + "token_type", GgufValue.FromArray(Types.ToArray()));
        if (Merges is not null)
        {
            writer.SetMetadata(Prefix + "merges", GgufValue.FromArray(Merges.ToArray()));
        }

        // Control ids follow their tokens to their new places.
        foreach (var key in new[] { "bos_token_id", "eos_token_id", "unknown_token_id" })
        {
            if (Source.Metadata.TryGetValue(Prefix + key, out var id) && Rows.IndexOf((int)id.AsInt64()) is int moved and >= 0)
            {
                writer.SetMetadata(Prefix + key, GgufValue.FromUInt32((uint)moved));
            }
        }

        writer.SetMetadata(Prefix + "add_bos_token", GgufValue.FromBool(true));
        writer.SetMetadata(Prefix + "add_eos_token", GgufValue.FromBool(false));
        foreach (var tensor in Source.Tensors)
        {
            writer.AddTensor(tensor.Name is "token_embd.weight" or "output.weight" ? WithRows(tensor) : tensor);
        }

        writer.Write(path);
    }

    private GgufTensor WithRows(GgufTensor tensor)
    {
        int rowBytes = checked((int)(tensor.Info.ByteCount / tensor.Shape[1]));
        var data = new byte[rowBytes * Rows.Count];
        var source = tensor.Data.Span;
        for (int i = 0; i < Rows.Count; i++)
        {
            if (Rows[i] >= 0)
            {
                source.Slice(Rows[i] * rowBytes, rowBytes).CopyTo(data.AsSpan(i * rowBytes));
            }
        }

        return new GgufTensor(new GgufTensorInfo(tensor.Name, tensor.Type, [tensor.Shape[0], Rows.Count]), data);
    }
}
