namespace SpecAI.Extensions.Gguf.Forge;

using SpecAI.Extensions.Gguf.Quantization;

/// <summary>Assembles a llama-architecture GGUF: hyperparameters, tokenizer, and the tensors llama.cpp expects.</summary>
internal static class LlamaGgufBuilder
{
    public const float RmsEpsilon = 1e-5f;

    /// <summary>
    /// Writes the model (random block weights derived from <paramref name="seed"/>); <paramref name="fillEmbedding"/> and
    /// <paramref name="fillOutput"/> give row t of token_embd and row v of output; <paramref name="blockRows"/>, when
    /// given, gives the rows of the block tensors it names (e.g. <c>blk.0.attn_q.weight</c>) instead of random ones.
    /// </summary>
    public static void Write(
        string path,
        string name,
        LlamaModelShape shape,
        ForgeVocabulary vocabulary,
        LlamaFamilyOptions options,
        Action<int, Span<float>> fillEmbedding,
        Action<int, Span<float>> fillOutput,
        ulong seed,
        IEnumerable<KeyValuePair<string, GgufValue>> extraMetadata,
        IReadOnlyDictionary<string, Action<int, Span<float>>>? blockRows = null)
    {
        int n = shape.EmbeddingLength, v = vocabulary.Count, ff = shape.FeedForwardLength;
        int kv = (shape.HeadCountKv ?? shape.HeadCount) * shape.HeadLength;
        var writer = new GgufWriter();
        WriteMetadata(writer, name, shape, vocabulary, options);
        foreach ((string key, GgufValue value) in extraMetadata)
        {
            writer.SetMetadata(key, value);
        }

        // Each random tensor has its own generator (seed, index), so tensors are built in parallel and still reproducibly.
        var ones = Enumerable.Repeat(1f, n).ToArray();
        double residual = options.ResidualScale, wide = 1.0 / Math.Sqrt(n);
        var build = new List<Func<GgufTensor>>
        {
            () => Matrix("token_embd.weight", n, v, options.WeightType, fillEmbedding),
        };
        for (int b = 0; b < shape.BlockCount; b++)
        {
            string p = $"blk.{b}.";
            build.Add(() => GgufTensor.FromFloats(p + "attn_norm.weight", GgufTensorType.F32, [n], ones));
            build.Add(Random(p + "attn_q.weight", n, n, wide));
            build.Add(Random(p + "attn_k.weight", n, kv, wide));
            build.Add(Random(p + "attn_v.weight", n, kv, wide));
            build.Add(Random(p + "attn_output.weight", n, n, residual * wide));
            build.Add(() => GgufTensor.FromFloats(p + "ffn_norm.weight", GgufTensorType.F32, [n], ones));
            build.Add(Random(p + "ffn_gate.weight", n, ff, wide));
            build.Add(Random(p + "ffn_down.weight", ff, n, 2 * residual / Math.Sqrt(ff)));
            build.Add(Random(p + "ffn_up.weight", n, ff, wide));
        }

        build.Add(() => GgufTensor.FromFloats("output_norm.weight", GgufTensorType.F32, [n], ones));
        build.Add(() => Matrix("output.weight", n, v, options.WeightType, fillOutput));
        var tensors = new GgufTensor[build.Count];
        Parallel.For(0, build.Count, i => tensors[i] = build[i]());
        foreach (GgufTensor tensor in tensors)
        {
            writer.AddTensor(tensor);
        }

        Func<GgufTensor> Random(string name, int cols, int rows, double std)
        {
            if (blockRows is not null && blockRows.TryGetValue(name, out Action<int, Span<float>>? fill))
            {
                return () => Matrix(name, cols, rows, options.WeightType, fill);
            }

            var random = new ForgeRandom(seed ^ (ulong)(build.Count + 1) * 0x9E3779B97F4A7C15UL);
            return () => Matrix(name, cols, rows, options.WeightType, (_, row) => random.FillGaussian(row, std));
        }

        writer.Write(path);
    }

    private static void WriteMetadata(GgufWriter writer, string name, LlamaModelShape shape, ForgeVocabulary vocabulary, LlamaFamilyOptions options)
    {
        writer.SetMetadata(GgufKeys.Architecture, GgufValue.FromString("llama"))
            .SetMetadata(GgufKeys.Name, GgufValue.FromString(name))
            .SetMetadata(GgufKeys.FileType, GgufValue.FromUInt32(FileType(options.WeightType)))
            .SetMetadata("llama.context_length", GgufValue.FromUInt32((uint)options.ContextLength))
            .SetMetadata("llama.embedding_length", GgufValue.FromUInt32((uint)shape.EmbeddingLength))
            .SetMetadata("llama.block_count", GgufValue.FromUInt32((uint)shape.BlockCount))
            .SetMetadata("llama.feed_forward_length", GgufValue.FromUInt32((uint)shape.FeedForwardLength))
            .SetMetadata("llama.attention.head_count", GgufValue.FromUInt32((uint)shape.HeadCount))
            .SetMetadata("llama.attention.head_count_kv", GgufValue.FromUInt32((uint)(shape.HeadCountKv ?? shape.HeadCount)))
            .SetMetadata("llama.attention.layer_norm_rms_epsilon", GgufValue.FromFloat32(RmsEpsilon))
            .SetMetadata("llama.rope.dimension_count", GgufValue.FromUInt32((uint)shape.HeadLength))
            .SetMetadata("llama.rope.freq_base", GgufValue.FromFloat32(10000f))
            .SetMetadata("llama.vocab_size", GgufValue.FromUInt32((uint)vocabulary.Count));
        WriteTokenizer(writer, vocabulary);
    }

    /// <summary>
    /// The tokenizer keys llama.cpp reads: <c>llama</c> (SentencePiece: scores, UNK) or <c>gpt2</c> (byte-level BPE:
    /// pre-tokenizer name and merges), token texts and types, special ids, add-BOS/EOS flags and the chat template.
    /// </summary>
    internal static void WriteTokenizer(GgufWriter writer, ForgeVocabulary vocabulary)
    {
        ForgeSpecialTokens special = vocabulary.Special;
        writer.SetMetadata("tokenizer.ggml.model", GgufValue.FromString(vocabulary.Model));
        if (vocabulary.PreTokenizer is { } pre)
        {
            writer.SetMetadata("tokenizer.ggml.pre", GgufValue.FromString(pre));
        }

        writer.SetMetadata("tokenizer.ggml.tokens", GgufValue.FromArray(vocabulary.Tokens.ToArray()));
        if (vocabulary.Scores.Count > 0)
        {
            writer.SetMetadata("tokenizer.ggml.scores", GgufValue.FromArray(vocabulary.Scores.ToArray()));
        }

        writer.SetMetadata("tokenizer.ggml.token_type", GgufValue.FromArray(vocabulary.TokenTypes.Select(t => (int)t).ToArray()));
        if (vocabulary.Merges.Count > 0)
        {
            writer.SetMetadata("tokenizer.ggml.merges", GgufValue.FromArray(vocabulary.Merges.ToArray()));
        }

        foreach ((string key, int? id) in new[]
        {
            ("bos", (int?)special.BeginOfSequence), ("eos", special.EndOfSequence), ("unknown", special.Unknown),
            ("eot", special.EndOfTurn), ("eom", special.EndOfMessage), ("padding", special.Padding),
        })
        {
            if (id is int value)
            {
                writer.SetMetadata($"tokenizer.ggml.{key}_token_id", GgufValue.FromUInt32((uint)value));
            }
        }

        writer.SetMetadata("tokenizer.ggml.add_bos_token", GgufValue.FromBool(special.AddBeginOfSequence))
            .SetMetadata("tokenizer.ggml.add_eos_token", GgufValue.FromBool(special.AddEndOfSequence))
            .SetMetadata("tokenizer.ggml.add_space_prefix", GgufValue.FromBool(false));
        if (vocabulary.ChatTemplate is { } template)
        {
            writer.SetMetadata("tokenizer.chat_template", GgufValue.FromString(template));
        }
    }

    internal static uint FileType(GgufTensorType type) => type switch
    {
        GgufTensorType.F32 => 0,
        GgufTensorType.F16 => 1,
        GgufTensorType.Q4_0 => 2,
        _ => 7,
    };

    /// <summary>A weight matrix W of shape [rows, cols] stored with ggml shape [cols, rows] (ne0 = cols).</summary>
    internal static GgufTensor Matrix(string name, int cols, int rows, GgufTensorType requested, Action<int, Span<float>> fillRow)
    {
        var values = new float[(long)cols * rows];
        for (int r = 0; r < rows; r++)
        {
            fillRow(r, values.AsSpan(r * cols, cols));
        }

        long[] shape = [cols, rows];
        return GgufTensor.FromFloats(name, TensorTypeSelector.Choose(requested, shape), shape, values);
    }

}
