using System.Globalization;

namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>
/// Writes target/draft pairs of real llama.cpp architectures (same architecture and vocabulary, the draft smaller) so
/// tests and users without downloads can speculate on hybrid, recurrent, sliding-window and mixture-of-experts models:
/// <list type="table">
/// <item><term><c>llama</c></term><description>Dense attention (<see cref="LlamaModelForge"/>).</description></item>
/// <item><term><c>qwen35</c></term><description>Qwen3.5-style hybrid: three Gated DeltaNet (recurrent) blocks per full-attention block (<c>full_attention_interval</c> 4); llama.cpp can roll its recurrent state back natively.</description></item>
/// <item><term><c>lfm2</c></term><description>LFM2-style hybrid: gated short convolutions and a few attention blocks; no native rollback (checkpoint and replay).</description></item>
/// <item><term><c>gemma3</c></term><description>Gemma-3-style sliding-window attention: five local blocks (window 16 at Test, 64 at Bench) per global one.</description></item>
/// <item><term><c>qwen3moe</c></term><description>Qwen3-MoE-style mixture of experts: 8 experts, 2 per token (the draft 4, 2 per token).</description></item>
/// </list>
/// </summary>
/// <remarks>
/// Both models realise one low-rank bigram table in token_embd and output (as <see cref="LlamaModelForge"/> does), with
/// the draft's calibrated perturbation, so they agree often but not always. Their blocks have random weights whose
/// contribution to the residual stream is a few percent of the embedding: the logits depend on the context through
/// attention, recurrent state and expert routing, and every tensor takes part (nothing is zero).
/// </remarks>
public static class ArchitectureForge
{
    /// <summary>Dense llama attention.</summary>
    public const string Llama = "llama";

    /// <summary>Hybrid Gated DeltaNet + attention (Qwen3.5).</summary>
    public const string Qwen35 = "qwen35";

    /// <summary>Hybrid short convolution + attention (LFM2).</summary>
    public const string Lfm2 = "lfm2";

    /// <summary>Interleaved sliding-window and global attention (Gemma 3).</summary>
    public const string Gemma3 = "gemma3";

    /// <summary>Mixture of experts (Qwen3-MoE).</summary>
    public const string Qwen3Moe = "qwen3moe";

    /// <summary>Bumped whenever the same options would produce different files.</summary>
    public const int FormatVersion = 1;

    /// <summary>Name of the file beside the models that records what they were written from (the cache key).</summary>
    public const string FingerprintFileName = "forge-fingerprint.txt";

    private const string KeyPrefix = "specai.forge.";

    // What each block adds to the residual stream relative to the embedding: the context moves the logits enough to
    // change some greedy choices (so a wrong rollback shows), not so much that the bigram tables stop deciding.
    private const double Residual = 0.03;

    private static readonly Lock Gate = new();

    /// <summary>Every architecture the forge writes.</summary>
    public static IReadOnlyList<string> Names { get; } = [Llama, Qwen35, Lfm2, Gemma3, Qwen3Moe];

    /// <summary>
    /// The pair of <paramref name="architecture"/> in <paramref name="outputFolder"/> (<c>target.gguf</c> and
    /// <c>draft.gguf</c>), written first unless the folder already holds the pair of the same options (recorded in
    /// <see cref="FingerprintFileName"/>). Files are written under temporary names and renamed.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown architecture (the message names the supported ones), empty folder, or an invalid option.</exception>
    /// <exception cref="FileNotFoundException">The tokenizer file is missing.</exception>
    /// <exception cref="InvalidDataException">The tokenizer cannot be read.</exception>
    public static ForgedArchitecturePair GetOrCreate(string architecture, string outputFolder, ArchitectureForgeOptions? options = null)
    {
        string arch = Check(architecture);
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        options ??= new ArchitectureForgeOptions();
        options.Validate();
        string fingerprint = string.Create(CultureInfo.InvariantCulture, $"specai-architecture-forge {FormatVersion}.{LlamaModelForge.FormatVersion} {arch} {options.Describe()}");
        string target = Path.Combine(outputFolder, "target.gguf"), draft = Path.Combine(outputFolder, "draft.gguf");
        string stamp = Path.Combine(outputFolder, FingerprintFileName);
        lock (Gate)
        {
            Directory.CreateDirectory(outputFolder);
            if (File.Exists(target) && File.Exists(draft) && File.Exists(stamp) && File.ReadAllText(stamp) == fingerprint)
            {
                return FromExisting(arch, options, target, draft);
            }

            File.Delete(stamp);
            ForgedArchitecturePair pair = ForgeFiles.WritePair(target, draft, (t, d) => Write(arch, options, t, d), stamp, fingerprint);
            return pair with { TargetPath = target, DraftPath = draft };
        }
    }

    /// <summary>Writes the pair of <paramref name="architecture"/> to the given paths (no cache).</summary>
    /// <exception cref="ArgumentException">Unknown architecture, empty path, or an invalid option.</exception>
    /// <exception cref="FileNotFoundException">The tokenizer file is missing.</exception>
    /// <exception cref="InvalidDataException">The tokenizer cannot be read.</exception>
    public static ForgedArchitecturePair Write(string architecture, ArchitectureForgeOptions options, string targetPath, string draftPath)
    {
        string arch = Check(architecture);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        ArgumentException.ThrowIfNullOrEmpty(draftPath);
        options.Validate();
        ForgeVocabulary vocabulary = Vocabulary(options);
        bool test = options.Scale == ForgeFamilyScale.Test;
        string name = $"specai-{arch}-{(test ? "test" : "bench")}";
        if (arch == Llama)
        {
            LlamaFamilyOptions llama = (test ? LlamaFamilyOptions.ChatTiny : LlamaFamilyOptions.Default) with
            {
                VocabularySize = vocabulary.Count,
                TokenizerPath = options.TokenizerPath,
                ChatTemplate = options.TokenizerPath is null,
                Agreement = options.Agreement,
                Seed = options.Seed,
                EndOfSequenceLogitBias = 0,
                EndOfSequenceProbability = 0.005,
                CalibrationSamples = test ? 256 : 1024,
                Name = name,
            };
            ForgedFamily family = LlamaModelForge.WriteFamily(llama, vocabulary, vocabulary, targetPath, draftPath);
            return new ForgedArchitecturePair
            {
                Architecture = arch,
                TargetPath = targetPath,
                DraftPath = draftPath,
                VocabularySize = vocabulary.Count,
                CalibratedAgreement = family.CalibratedAgreement,
                Options = options,
            };
        }

        (ArchitectureShape target, ArchitectureShape draft) = Shapes(arch, options.Scale);
        GgufTensorType weights = test ? GgufTensorType.F32 : GgufTensorType.Q8_0;
        int contextLength = test ? 2048 : 4096;
        var bigram = new LlamaFamilyOptions
        {
            VocabularySize = vocabulary.Count,
            TokenizerPath = options.TokenizerPath,
            ChatTemplate = options.TokenizerPath is null,
            Target = new(target.Width, 1, 1, 1),
            Draft = new(draft.Width, 1, 1, 1),
            Agreement = options.Agreement,
            // About one answer in 200 tokens ends (EOS = EOT), so chat answers stop by themselves.
            EndOfSequenceProbability = 0.005,
            CalibrationSamples = test ? 256 : 1024,
            Seed = options.Seed,
        };
        var plan = BigramPlan.Create(bigram, vocabulary, null, new ForgeRandom(options.Seed));
        var stats = plan.Stats(KeyPrefix, FormatVersion, options.Agreement);

        int r = plan.Rank;
        float targetIn = MathF.Sqrt(target.Width), draftIn = MathF.Sqrt(draft.Width / 2f);
        ArchitectureGgufBuilder.Write(
            targetPath, arch, name + "-target", target, vocabulary, weights, contextLength, Residual,
            (t, row) => { plan.FillA(t, row); Scale(row[..r], targetIn); },
            (v, row) => { plan.FillB(v, row); Scale(row[..r], 1 / targetIn); },
            options.Seed ^ 0x7A26E7UL,
            stats.Append(new(KeyPrefix + "role", GgufValue.FromString("target"))));
        ArchitectureGgufBuilder.Write(
            draftPath, arch, name + "-draft", draft, vocabulary, weights, contextLength, Residual,
            (t, row) =>
            {
                plan.FillA(t, row);
                if (!plan.Padding[t])
                {
                    plan.DRow(t).CopyTo(row[r..]);
                }

                Scale(row, draftIn);
            },
            (v, row) =>
            {
                plan.FillB(v, row);
                plan.FillNoiseOutput(v, row[r..]);
                Scale(row, 1 / draftIn);
            },
            options.Seed ^ 0xD2AF7UL,
            stats.Append(new(KeyPrefix + "role", GgufValue.FromString("draft"))));
        return new ForgedArchitecturePair
        {
            Architecture = arch,
            TargetPath = targetPath,
            DraftPath = draftPath,
            VocabularySize = vocabulary.Count,
            SlidingWindow = arch == Gemma3 ? target.SlidingWindow : null,
            CalibratedAgreement = plan.CalibratedAgreement,
            Options = options,
        };
    }

    /// <summary>
    /// The vocabulary of <paramref name="options"/>: the tokenizer padded to <see cref="ArchitectureForgeOptions.VocabularySize"/>,
    /// or the synthetic ChatML vocabulary (above its 200,000 tokens, padded with unused ones).
    /// </summary>
    /// <exception cref="ArgumentException">The size is below the tokenizer's own count.</exception>
    internal static ForgeVocabulary Vocabulary(ArchitectureForgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TokenizerPath is { } path)
        {
            ForgeVocabulary tokenizer = ForgeVocabulary.FromTokenizer(path, null, null);
            return options.VocabularySize is not int n ? tokenizer
                : n >= tokenizer.Count ? tokenizer.PadTo(n)
                : throw new ArgumentException($"VocabularySize {n} is below the tokenizer's own {tokenizer.Count} tokens.", nameof(options));
        }

        const int SyntheticMaximum = 200_000;
        int size = options.SyntheticVocabularySize;
        ForgeVocabulary synthetic = ForgeVocabulary.Create(Math.Min(size, SyntheticMaximum), chatMl: true);
        return size > SyntheticMaximum ? synthetic.PadTo(size) : synthetic;
    }

    /// <summary>The target's and draft's shapes of <paramref name="arch"/> at <paramref name="scale"/>.</summary>
    internal static (ArchitectureShape Target, ArchitectureShape Draft) Shapes(string arch, ForgeFamilyScale scale)
    {
        bool test = scale == ForgeFamilyScale.Test;
        return arch switch
        {
            // Qwen3.5 0.8B has 16 key and 16 value heads of 128; these keep the value heads a multiple of the key heads.
            Qwen35 => test
                ? (new(64, 8, 128, 2, 1, 32) { KeyHeads = 2, ValueHeads = 4, StateSize = 16 },
                   new(32, 4, 64, 1, 1, 32) { KeyHeads = 1, ValueHeads = 2, StateSize = 16 })
                : (new(512, 8, 1408, 4, 2, 128) { KeyHeads = 4, ValueHeads = 8, StateSize = 64 },
                   new(128, 4, 384, 2, 1, 64) { KeyHeads = 2, ValueHeads = 2, StateSize = 64 }),
            // LFM2 1.2B: 16 blocks, 6 of them attention, convolution length 3.
            Lfm2 => test
                ? (new(64, 6, 128, 2, 1, 32) { ConvKernel = 3, AttentionBlocks = [2, 5] },
                   new(32, 3, 64, 1, 1, 32) { ConvKernel = 3, AttentionBlocks = [2] })
                : (new(512, 8, 1408, 8, 4, 64) { ConvKernel = 3, AttentionBlocks = [2, 5, 7] },
                   new(128, 4, 384, 2, 1, 64) { ConvKernel = 3, AttentionBlocks = [1, 3] }),
            // llama.cpp makes blocks 5, 11, ... global: six blocks hold both kinds.
            Gemma3 => test
                ? (new(64, 6, 128, 2, 1, 32) { SlidingWindow = 16 },
                   new(32, 6, 64, 1, 1, 32) { SlidingWindow = 16 })
                : (new(512, 12, 1408, 4, 2, 128) { SlidingWindow = 64 },
                   new(128, 6, 384, 2, 1, 64) { SlidingWindow = 64 }),
            _ => test
                ? (new(64, 4, 128, 2, 1, 32) { Experts = 8, ExpertsUsed = 2, ExpertFeedForward = 64 },
                   new(32, 2, 64, 1, 1, 32) { Experts = 4, ExpertsUsed = 2, ExpertFeedForward = 32 })
                : (new(512, 8, 1024, 4, 2, 128) { Experts = 8, ExpertsUsed = 2, ExpertFeedForward = 512 },
                   new(128, 2, 256, 2, 1, 64) { Experts = 4, ExpertsUsed = 2, ExpertFeedForward = 128 }),
        };
    }

    private static ForgedArchitecturePair FromExisting(string arch, ArchitectureForgeOptions options, string target, string draft)
    {
        IReadOnlyDictionary<string, GgufValue> meta = GgufReader.ReadHeader(target).Metadata;
        return new ForgedArchitecturePair
        {
            Architecture = arch,
            TargetPath = target,
            DraftPath = draft,
            VocabularySize = (int)meta[$"{arch}.vocab_size"].AsInt64(),
            SlidingWindow = meta.TryGetValue($"{arch}.attention.sliding_window", out GgufValue? window) ? (int)window.AsInt64() : null,
            CalibratedAgreement = meta.TryGetValue(KeyPrefix + "calibrated_agreement", out GgufValue? agreement) ? agreement.AsDouble() : double.NaN,
            Options = options,
        };
    }

    private static string Check(string architecture) =>
        architecture is not null && Names.Contains(architecture, StringComparer.Ordinal)
            ? architecture
            : throw new ArgumentException($"Unknown architecture '{architecture}'; the supported ones are {string.Join(", ", Names)}.", nameof(architecture));

    private static void Scale(Span<float> row, float factor)
    {
        for (int i = 0; i < row.Length; i++)
        {
            row[i] *= factor;
        }
    }
}
