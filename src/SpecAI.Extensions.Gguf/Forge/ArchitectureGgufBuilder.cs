namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>
/// Assembles GGUF models of the architectures <see cref="ArchitectureForge"/> knows: hyperparameters, tokenizer and the
/// tensors (names, shapes) llama.cpp's loader expects for each (facts from llama.cpp's <c>src/llama-arch.cpp</c>,
/// <c>src/llama-model.cpp</c> and <c>src/models/*.cpp</c>).
/// </summary>
/// <remarks>
/// Every block adds to the residual stream an amount set by <c>residual</c> relative to the embedding (its output
/// projections or, for gemma3, its post-norms are scaled), so the bigram tables in token_embd and output set most of
/// each logit and the blocks (attention, recurrent state, experts) move it by a context-dependent part.
/// </remarks>
internal static class ArchitectureGgufBuilder
{
    public const float RmsEpsilon = 1e-6f;

    public static void Write(
        string path,
        string architecture,
        string name,
        ArchitectureShape shape,
        ForgeVocabulary vocabulary,
        GgufTensorType weightType,
        int contextLength,
        double residual,
        Action<int, Span<float>> fillEmbedding,
        Action<int, Span<float>> fillOutput,
        ulong seed,
        IEnumerable<KeyValuePair<string, GgufValue>> extraMetadata)
    {
        var writer = new GgufWriter();
        WriteMetadata(writer, architecture, name, shape, vocabulary, weightType, contextLength);
        foreach ((string key, GgufValue value) in extraMetadata)
        {
            writer.SetMetadata(key, value);
        }

        var tensors = new Tensors(weightType, seed);
        int n = shape.Width, v = vocabulary.Count;
        tensors.Add(_ => LlamaGgufBuilder.Matrix("token_embd.weight", n, v, weightType, fillEmbedding));
        for (int b = 0; b < shape.Blocks; b++)
        {
            switch (architecture)
            {
                case ArchitectureForge.Qwen35: Qwen35Block(tensors, shape, b, residual); break;
                case ArchitectureForge.Lfm2: Lfm2Block(tensors, shape, b, residual); break;
                case ArchitectureForge.Gemma3: Gemma3Block(tensors, shape, b, residual); break;
                case ArchitectureForge.Qwen3Moe: Qwen3MoeBlock(tensors, shape, b, residual); break;
                default: throw new ArgumentException($"No block layout for '{architecture}'.", nameof(architecture));
            }
        }

        // LFM2 names its final norm token_embd_norm (llama.cpp's LLM_TENSOR_OUTPUT_NORM_LFM2).
        tensors.Constant(architecture == ArchitectureForge.Lfm2 ? "token_embd_norm.weight" : "output_norm.weight", n, 1f);
        tensors.Add(_ => LlamaGgufBuilder.Matrix("output.weight", n, v, weightType, fillOutput));
        foreach (GgufTensor tensor in tensors.Build())
        {
            writer.AddTensor(tensor);
        }

        writer.Write(path);
    }

    /// <summary>
    /// Qwen3.5: pre-norm (attn_norm), then Gated DeltaNet or gated full attention, then post_attention_norm before the
    /// SwiGLU FFN. DeltaNet: attn_qkv projects to q, k (key heads) and v (value heads) for a causal conv (ssm_conv1d),
    /// attn_gate gives z for the gated RMS norm (ssm_norm); the per-head decay is exp(ssm_a * softplus(alpha + ssm_dt.bias))
    /// with ssm_a negative (-exp(A_log)), the write strength sigmoid(beta). Full attention: attn_q holds query and output gate
    /// per head (twice the width), q/k RMS-normed per head, IMRoPE.
    /// </summary>
    private static void Qwen35Block(Tensors t, ArchitectureShape s, int b, double residual)
    {
        string p = $"blk.{b}.";
        int n = s.Width;
        t.Constant(p + "attn_norm.weight", n, 1f);
        t.Constant(p + "post_attention_norm.weight", n, 1f);
        if (s.IsDeltaNet(b))
        {
            int keyDim = s.KeyHeads * s.StateSize, valueDim = s.ValueHeads * s.StateSize, convDim = (2 * keyDim) + valueDim;
            t.Random(p + "attn_qkv.weight", n, convDim, 1 / Math.Sqrt(n));
            t.Random(p + "attn_gate.weight", n, valueDim, 1 / Math.Sqrt(n));
            // The conv kernel stays F32 (ggml_ssm_conv); the newest tap weighs most, older ones carry the context.
            t.Add(random =>
            {
                var values = new float[s.ConvKernel * convDim];
                for (int c = 0; c < convDim; c++)
                {
                    for (int k = 0; k < s.ConvKernel; k++)
                    {
                        values[(c * s.ConvKernel) + k] = (float)(random.NextGaussian() * 0.4 + (k == s.ConvKernel - 1 ? 0.6 : 0));
                    }
                }

                return GgufTensor.FromFloats(p + "ssm_conv1d.weight", GgufTensorType.F32, [s.ConvKernel, convDim], values);
            });
            t.Vector(p + "ssm_dt.bias", s.ValueHeads, r => r.NextDouble() * 2 - 1);
            // Decay rates exp(-a softplus(.)) from about 0.9 to 0.3 per token: the state remembers a few tokens.
            t.Vector(p + "ssm_a", s.ValueHeads, r => -(0.1 + r.NextDouble() * 0.9));
            t.Random(p + "ssm_beta.weight", n, s.ValueHeads, 1 / Math.Sqrt(n));
            t.Random(p + "ssm_alpha.weight", n, s.ValueHeads, 1 / Math.Sqrt(n));
            t.Constant(p + "ssm_norm.weight", s.StateSize, 1f);
            t.Random(p + "ssm_out.weight", valueDim, n, 2 * residual / Math.Sqrt(valueDim));
        }
        else
        {
            int q = s.Heads * s.HeadLength, kv = s.KvHeads * s.HeadLength;
            t.Random(p + "attn_q.weight", n, 2 * q, 1 / Math.Sqrt(n));
            t.Random(p + "attn_k.weight", n, kv, 1 / Math.Sqrt(n));
            t.Random(p + "attn_v.weight", n, kv, 1 / Math.Sqrt(n));
            t.Random(p + "attn_output.weight", q, n, 2 * residual / Math.Sqrt(q));
            t.Constant(p + "attn_q_norm.weight", s.HeadLength, 1f);
            t.Constant(p + "attn_k_norm.weight", s.HeadLength, 1f);
        }

        DenseFeedForward(t, s, p, residual);
    }

    /// <summary>
    /// LFM2: operator norm (attn_norm), then a gated short convolution (shortconv.in_proj to b, c, x; y = c * conv(b * x)
    /// over shortconv.l_cache taps; shortconv.out_proj) or attention with q/k norms; then ffn_norm and a SwiGLU FFN.
    /// A block is a convolution where its attention.head_count_kv entry is 0.
    /// </summary>
    private static void Lfm2Block(Tensors t, ArchitectureShape s, int b, double residual)
    {
        string p = $"blk.{b}.";
        int n = s.Width;
        t.Constant(p + "attn_norm.weight", n, 1f);
        t.Constant(p + "ffn_norm.weight", n, 1f);
        if (s.AttentionBlocks.Contains(b))
        {
            int kv = s.KvHeads * s.HeadLength;
            t.Random(p + "attn_q.weight", n, n, 1 / Math.Sqrt(n));
            t.Random(p + "attn_k.weight", n, kv, 1 / Math.Sqrt(n));
            t.Random(p + "attn_v.weight", n, kv, 1 / Math.Sqrt(n));
            t.Random(p + "attn_output.weight", n, n, 2 * residual / Math.Sqrt(n));
            t.Constant(p + "attn_q_norm.weight", s.HeadLength, 1f);
            t.Constant(p + "attn_k_norm.weight", s.HeadLength, 1f);
        }
        else
        {
            t.Add(random =>
            {
                var values = new float[s.ConvKernel * n];
                for (int c = 0; c < values.Length; c++)
                {
                    values[c] = (float)(random.NextGaussian() * 0.6);
                }

                return GgufTensor.FromFloats(p + "shortconv.conv.weight", GgufTensorType.F32, [s.ConvKernel, n], values);
            });
            t.Random(p + "shortconv.in_proj.weight", n, 3 * n, 1 / Math.Sqrt(n));
            t.Random(p + "shortconv.out_proj.weight", n, n, 2 * residual / Math.Sqrt(n));
        }

        DenseFeedForward(t, s, p, residual);
    }

    /// <summary>
    /// Gemma 3: attn_norm, attention with q/k norms (local sliding-window or global), post_attention_norm, ffn_norm, GeGLU
    /// FFN, post_ffw_norm. The embedding is scaled by sqrt(width) and each branch ends in a norm, so the post-norm weights
    /// (not the projections) set how much a block adds: residual times the stream's RMS, sqrt(width).
    /// </summary>
    private static void Gemma3Block(Tensors t, ArchitectureShape s, int b, double residual)
    {
        string p = $"blk.{b}.";
        int n = s.Width, q = s.Heads * s.HeadLength, kv = s.KvHeads * s.HeadLength;
        float post = (float)(residual * Math.Sqrt(n));
        t.Constant(p + "attn_norm.weight", n, 1f);
        t.Random(p + "attn_q.weight", n, q, 1 / Math.Sqrt(n));
        t.Random(p + "attn_k.weight", n, kv, 1 / Math.Sqrt(n));
        t.Random(p + "attn_v.weight", n, kv, 1 / Math.Sqrt(n));
        t.Random(p + "attn_output.weight", q, n, 1 / Math.Sqrt(q));
        t.Constant(p + "attn_q_norm.weight", s.HeadLength, 1f);
        t.Constant(p + "attn_k_norm.weight", s.HeadLength, 1f);
        t.Constant(p + "post_attention_norm.weight", n, post);
        t.Constant(p + "ffn_norm.weight", n, 1f);
        t.Random(p + "ffn_gate.weight", n, s.FeedForward, 1 / Math.Sqrt(n));
        t.Random(p + "ffn_up.weight", n, s.FeedForward, 1 / Math.Sqrt(n));
        t.Random(p + "ffn_down.weight", s.FeedForward, n, 1 / Math.Sqrt(s.FeedForward));
        t.Constant(p + "post_ffw_norm.weight", n, post);
    }

    /// <summary>
    /// Qwen3-MoE: attention with q/k norms, then ffn_norm and a softmax router (ffn_gate_inp) choosing expert_used_count of
    /// expert_count SwiGLU experts (ffn_{gate,up,down}_exps, one 3-D tensor each), their weights renormalised.
    /// </summary>
    private static void Qwen3MoeBlock(Tensors t, ArchitectureShape s, int b, double residual)
    {
        string p = $"blk.{b}.";
        int n = s.Width, q = s.Heads * s.HeadLength, kv = s.KvHeads * s.HeadLength, e = s.Experts, f = s.ExpertFeedForward;
        t.Constant(p + "attn_norm.weight", n, 1f);
        t.Random(p + "attn_q.weight", n, q, 1 / Math.Sqrt(n));
        t.Random(p + "attn_k.weight", n, kv, 1 / Math.Sqrt(n));
        t.Random(p + "attn_v.weight", n, kv, 1 / Math.Sqrt(n));
        t.Random(p + "attn_output.weight", q, n, 2 * residual / Math.Sqrt(q));
        t.Constant(p + "attn_q_norm.weight", s.HeadLength, 1f);
        t.Constant(p + "attn_k_norm.weight", s.HeadLength, 1f);
        t.Constant(p + "ffn_norm.weight", n, 1f);
        // Router logits of spread about 2: different tokens pick different experts.
        t.Random(p + "ffn_gate_inp.weight", n, e, 2 / Math.Sqrt(n), GgufTensorType.F32);
        t.Experts(p + "ffn_gate_exps.weight", n, f, e, 1 / Math.Sqrt(n));
        t.Experts(p + "ffn_up_exps.weight", n, f, e, 1 / Math.Sqrt(n));
        t.Experts(p + "ffn_down_exps.weight", f, n, e, 4 * residual / Math.Sqrt(f));
    }

    private static void DenseFeedForward(Tensors t, ArchitectureShape s, string p, double residual)
    {
        t.Random(p + "ffn_gate.weight", s.Width, s.FeedForward, 1 / Math.Sqrt(s.Width));
        t.Random(p + "ffn_up.weight", s.Width, s.FeedForward, 1 / Math.Sqrt(s.Width));
        t.Random(p + "ffn_down.weight", s.FeedForward, s.Width, 2 * residual / Math.Sqrt(s.FeedForward));
    }

    private static void WriteMetadata(GgufWriter writer, string arch, string name, ArchitectureShape s, ForgeVocabulary vocabulary, GgufTensorType weightType, int contextLength)
    {
        GgufWriter Key(string key, GgufValue value) => writer.SetMetadata($"{arch}.{key}", value);
        GgufValue U(int value) => GgufValue.FromUInt32((uint)value);
        writer.SetMetadata(GgufKeys.Architecture, GgufValue.FromString(arch))
            .SetMetadata(GgufKeys.Name, GgufValue.FromString(name))
            .SetMetadata(GgufKeys.FileType, GgufValue.FromUInt32(LlamaGgufBuilder.FileType(weightType)));
        Key("context_length", U(contextLength));
        Key("embedding_length", U(s.Width));
        Key("block_count", U(s.Blocks));
        Key("feed_forward_length", U(s.FeedForward));
        Key("attention.head_count", U(s.Heads));
        Key("attention.layer_norm_rms_epsilon", GgufValue.FromFloat32(RmsEpsilon));
        Key("rope.freq_base", GgufValue.FromFloat32(10_000f));
        Key("vocab_size", U(vocabulary.Count));
        if (arch == ArchitectureForge.Lfm2)
        {
            // Per-block KV heads: 0 marks a convolution block (llama.cpp derives its recurrent layers from this).
            Key("attention.head_count_kv", GgufValue.FromArray(Enumerable.Range(0, s.Blocks).Select(b => s.AttentionBlocks.Contains(b) ? (uint)s.KvHeads : 0u).ToArray()));
            Key("shortconv.l_cache", U(s.ConvKernel));
        }
        else
        {
            Key("attention.head_count_kv", U(s.KvHeads));
            Key("attention.key_length", U(s.HeadLength));
            Key("attention.value_length", U(s.HeadLength));
            Key("rope.dimension_count", U(s.HeadLength));
        }

        switch (arch)
        {
            case ArchitectureForge.Qwen35:
                // IMRoPE sections (temporal, height, width, extra) in rotary pairs; text positions are equal in all of them.
                int pairs = s.HeadLength / 2, third = pairs / 3;
                Key("rope.dimension_sections", GgufValue.FromArray(new[] { pairs - (2 * third), third, third, 0 }));
                Key("full_attention_interval", U(s.FullAttentionInterval));
                Key("ssm.conv_kernel", U(s.ConvKernel));
                Key("ssm.state_size", U(s.StateSize));
                Key("ssm.group_count", U(s.KeyHeads));
                Key("ssm.time_step_rank", U(s.ValueHeads));
                Key("ssm.inner_size", U(s.ValueHeads * s.StateSize));
                break;
            case ArchitectureForge.Gemma3:
                Key("attention.sliding_window", U(s.SlidingWindow));
                break;
            case ArchitectureForge.Qwen3Moe:
                Key("expert_count", U(s.Experts));
                Key("expert_used_count", U(s.ExpertsUsed));
                Key("expert_feed_forward_length", U(s.ExpertFeedForward));
                break;
        }

        LlamaGgufBuilder.WriteTokenizer(writer, vocabulary);
    }

    /// <summary>The tensors of one model, built in parallel; each random tensor has its own generator (seed, index), so the file is reproducible.</summary>
    private sealed class Tensors(GgufTensorType weightType, ulong seed)
    {
        private readonly List<Func<GgufTensor>> _build = [];

        public void Add(Func<ForgeRandom, GgufTensor> build)
        {
            var random = new ForgeRandom(seed ^ ((ulong)(_build.Count + 1) * 0x9E3779B97F4A7C15UL));
            _build.Add(() => build(random));
        }

        public void Constant(string name, int length, float value) =>
            Add(_ => GgufTensor.FromFloats(name, GgufTensorType.F32, [length], Enumerable.Repeat(value, length).ToArray()));

        public void Vector(string name, int length, Func<ForgeRandom, double> value) =>
            Add(random => GgufTensor.FromFloats(name, GgufTensorType.F32, [length], Enumerable.Range(0, length).Select(_ => (float)value(random)).ToArray()));

        /// <summary>A matrix W of shape [rows, cols] with N(0, std²) entries (ggml shape [cols, rows]).</summary>
        public void Random(string name, int cols, int rows, double std, GgufTensorType? type = null) =>
            Add(random => LlamaGgufBuilder.Matrix(name, cols, rows, type ?? weightType, (_, row) => random.FillGaussian(row, std)));

        /// <summary>One [rows, cols] matrix per expert, stored as ggml shape [cols, rows, experts].</summary>
        public void Experts(string name, int cols, int rows, int experts, double std) =>
            Add(random =>
            {
                var values = new float[(long)cols * rows * experts];
                random.FillGaussian(values, std);
                long[] shape = [cols, rows, experts];
                return GgufTensor.FromFloats(name, Quantization.TensorTypeSelector.Choose(weightType, shape), shape, values);
            });

        public GgufTensor[] Build()
        {
            var tensors = new GgufTensor[_build.Count];
            Parallel.For(0, _build.Count, i => tensors[i] = _build[i]());
            return tensors;
        }
    }
}
