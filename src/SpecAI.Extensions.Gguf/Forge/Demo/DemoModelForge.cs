using System.Globalization;

namespace SpecAI.Extensions.Gguf.Forge.Demo;

/// <summary>
/// Writes the demo family: a target and a draft that write English-looking text (short stories and answers), learned
/// at forge time from a corpus the forge generates itself (no download, no copied text), with a byte-level BPE
/// vocabulary learned from the same corpus and a ChatML template. The text is fluent-looking nonsense: the models
/// know which word follows which (the target: given the two before), nothing more.
/// </summary>
/// <remarks>
/// Target: next-token logits f(t, v) + g(u, v) from the last token t and the one before it u (see
/// <c>DemoLanguageModel</c>), computed exactly by one llama block. token_embd puts each context the corpus shows on its
/// own axis of a first block of axes, plus a constant axis (RMS 1, so RMSNorm leaves it alone). Every attention head
/// reads only the constant axis in q and k, with q = k rotated back by one position on the fastest RoPE pairs, so its
/// score peaks at relative offset 1 (and is at least ~40 below the peak elsewhere, up to 8,192 positions): it copies
/// the previous position's one-hot (v) into a second block of axes (attn_output). The feed-forward network adds
/// nothing (zero down projection). Output row v holds f(·, v) on the first block and g(·, v) on the second. Draft: a
/// class-based bigram over fewer axes (contexts clustered by their next-token distributions, smoothed towards the
/// unigram), blocks that add nothing, so it is cheaper and agrees with the target where the text is predictable.
/// <see cref="ForgedFamily.CalibratedAgreement"/> is measured, not requested: how often the two models' greedy tokens
/// agree over the corpus's (token before, token) contexts, weighted by how often each occurs.
/// </remarks>
public static class DemoModelForge
{
    /// <summary>Bumped whenever the same seed would produce different files; part of cached file names.</summary>
    public const int FormatVersion = 2;

    /// <summary>The one line that says what the demo models are.</summary>
    public const string Notice = "demo models generated locally: fluent-looking nonsense; pass --target/--draft for real GGUF models";

    private const string KeyPrefix = "specai.forge.";
    private const int CorpusCharacters = 300_000;
    private const int MaxMerges = 4_000;
    private const int DraftWidth = 128;
    private const int HeadLength = 64;

    // The previous-token head: RoPE pairs used (the fastest ones) and the score each adds at offset 1 before the
    // 1/sqrt(head length) scale; the nearest other offsets score 1.07 times this less per pair used.
    private const int OffsetPairs = 8;
    private const double OffsetAmplitude = 320;
    private const double RopeBase = 10000;

    /// <summary>Writes the demo target and draft generated from <paramref name="seed"/> (same seed, same files).</summary>
    /// <exception cref="ArgumentException">A path is empty.</exception>
    public static ForgedFamily WriteFamily(string targetPath, string draftPath, ulong seed = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        ArgumentException.ThrowIfNullOrEmpty(draftPath);
        var model = DemoLanguageModel.Build(seed, CorpusCharacters, MaxMerges, DraftWidth);
        // Axes: current token's slot, previous token's slot, one constant axis.
        int targetWidth = ((2 * model.TargetLogits.Length) + 1 + HeadLength - 1) / HeadLength * HeadLength;
        LlamaFamilyOptions options = Options(seed, model.Vocabulary.Count, targetWidth, model.Agreement, model.MeanEntropy);
        var stats = new Dictionary<string, GgufValue>
        {
            [KeyPrefix + "format_version"] = GgufValue.FromUInt32(FormatVersion),
            [KeyPrefix + "kind"] = GgufValue.FromString("demo"),
            [KeyPrefix + "calibrated_agreement"] = GgufValue.FromFloat64(model.Agreement),
            [KeyPrefix + "mean_entropy"] = GgufValue.FromFloat64(model.MeanEntropy),
            [KeyPrefix + "mean_eos_probability"] = GgufValue.FromFloat64(model.MeanEndOfSequenceProbability),
            [KeyPrefix + "previous_token_weight"] = GgufValue.FromFloat64(model.PreviousWeight),
            [KeyPrefix + "mean_log_likelihood"] = GgufValue.FromFloat64(model.MeanLogLikelihood),
            [KeyPrefix + "bigram_mean_log_likelihood"] = GgufValue.FromFloat64(model.BigramMeanLogLikelihood),
            [KeyPrefix + "top1_accuracy"] = GgufValue.FromFloat64(model.TopOneAccuracy),
            [KeyPrefix + "bigram_top1_accuracy"] = GgufValue.FromFloat64(model.BigramTopOneAccuracy),
        };

        WriteTarget(targetPath, options.Name + "-target", options.Target, options, model, seed ^ 0x7A26E7UL, stats);
        Write(draftPath, options.Name + "-draft", options.Draft, options, model.Vocabulary, model.DraftClassOf, model.DraftLogits, seed ^ 0xD2AF7UL, stats, "draft");
        return new ForgedFamily
        {
            TargetPath = targetPath,
            DraftPath = draftPath,
            Options = options,
            TargetVocabularySize = model.Vocabulary.Count,
            DraftVocabularySize = model.Vocabulary.Count,
            CalibratedAgreement = model.Agreement,
            MeanTargetEntropy = model.MeanEntropy,
            MeanEndOfSequenceProbability = model.MeanEndOfSequenceProbability,
        };
    }

    /// <summary>
    /// The demo family from <paramref name="cacheDirectory"/>, written there first if missing (under temporary names,
    /// then renamed, so concurrent callers never see half-written files).
    /// </summary>
    /// <exception cref="ArgumentException">The directory is empty.</exception>
    public static ForgedFamily GetOrCreateFamily(string cacheDirectory, ulong seed = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheDirectory);
        Directory.CreateDirectory(cacheDirectory);
        string stem = Path.Combine(cacheDirectory, string.Create(CultureInfo.InvariantCulture, $"demo{FormatVersion}-s{seed}"));
        string target = stem + "-target.gguf", draft = stem + "-draft.gguf";
        if (File.Exists(target) && File.Exists(draft))
        {
            return FromExisting(target, draft, seed);
        }

        ForgedFamily family = ForgeFiles.WritePair(target, draft, (t, d) => WriteFamily(t, d, seed));
        return family with { TargetPath = target, DraftPath = draft };
    }

    /// <summary>Whether <paramref name="path"/> is a GGUF written by this forge (it carries <c>specai.forge.kind = demo</c>).</summary>
    public static bool IsDemoModel(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return GgufReader.ReadHeader(path).Metadata.TryGetValue(KeyPrefix + "kind", out GgufValue? kind) && kind.AsString() == "demo";
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The distinct words (letters only, as written) of the corpus the family of <paramref name="seed"/> learns from.</summary>
    public static IReadOnlySet<string> CorpusWords(ulong seed = 1) =>
        DemoCorpus.Generate(seed, CorpusCharacters)
            .SelectMany(a => a.Split([' ', ',', '.', '!', '?'], StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);

    private static LlamaFamilyOptions Options(ulong seed, int vocabularySize, int targetWidth, double agreement, double entropy) => new()
    {
        // One block each: the work per token is mostly the output table and the target's attention projections.
        // The target's heads each carry 64 axes of the previous token's one-hot, so it has as many KV heads as heads.
        Target = new LlamaModelShape(targetWidth, 1, 64, targetWidth / HeadLength),
        Draft = new LlamaModelShape(DraftWidth, 1, 64, DraftWidth / HeadLength) { HeadCountKv = 1 },
        VocabularySize = vocabularySize,
        Agreement = agreement,
        TargetEntropy = entropy,
        BigramRank = 2,
        WeightType = GgufTensorType.F16,
        ResidualScale = 0,
        UnsampledLogit = DemoLanguageModel.UnsampledLogit,
        ChatTemplate = true,
        ContextLength = 4096,
        Seed = seed,
        Name = "specai-demo",
    };

    private static void Write(
        string path, string name, LlamaModelShape shape, LlamaFamilyOptions options, ForgeVocabulary vocabulary,
        int[] axisOf, double[][] logits, ulong seed, Dictionary<string, GgufValue> stats, string role)
    {
        int n = shape.EmbeddingLength;
        float scale = MathF.Sqrt(n);
        LlamaGgufBuilder.Write(
            path, name, shape, vocabulary, options,
            (t, row) => { row.Clear(); row[axisOf[t]] = scale; },
            (v, row) =>
            {
                row.Clear();
                for (int axis = 0; axis < logits.Length; axis++)
                {
                    row[axis] = (float)(logits[axis][v] / scale);
                }
            },
            seed,
            stats.Append(new(KeyPrefix + "role", GgufValue.FromString(role))));
    }

    /// <summary>The target: f on the current token's axes, g on the previous token's, which one attention block copies there.</summary>
    private static void WriteTarget(
        string path, string name, LlamaModelShape shape, LlamaFamilyOptions options, DemoLanguageModel model, ulong seed,
        Dictionary<string, GgufValue> stats)
    {
        int n = shape.EmbeddingLength, slots = model.TargetLogits.Length, constant = 2 * slots;
        // Embedding: slot axis and constant axis at sqrt(n/2) each, so the RMS is 1 and RMSNorm is the identity.
        double one = Math.Sqrt(n / 2.0);
        // After attention the previous slot's axis holds `one` too, so the final RMSNorm divides by sqrt(3/2).
        double rms = Math.Sqrt(3 * one * one / n), k = Math.Sqrt(OffsetAmplitude);
        var blocks = new Dictionary<string, Action<int, Span<float>>>
        {
            // q, k: per head, pair p holds k = (r, 0) and q = (A/r)(cos θp, -sin θp): RoPE turns q·k into A cos((i - j - 1) θp).
            ["blk.0.attn_q.weight"] = (r, row) =>
            {
                row.Clear();
                int pair = r % HeadLength / 2;
                if (pair < OffsetPairs)
                {
                    double theta = Math.Pow(RopeBase, -2.0 * pair / HeadLength);
                    row[constant] = (float)((r % 2 == 0 ? Math.Cos(theta) : -Math.Sin(theta)) * OffsetAmplitude / k / one);
                }
            },
            ["blk.0.attn_k.weight"] = (r, row) =>
            {
                row.Clear();
                if (r % HeadLength / 2 < OffsetPairs && r % 2 == 0)
                {
                    row[constant] = (float)(k / one);
                }
            },
            // v: the current slot's one-hot at 1; attn_output: into the previous block at `one`.
            ["blk.0.attn_v.weight"] = (r, row) =>
            {
                row.Clear();
                if (r < slots)
                {
                    row[r] = (float)(1 / one);
                }
            },
            ["blk.0.attn_output.weight"] = (r, row) =>
            {
                row.Clear();
                if (r >= slots && r < constant)
                {
                    row[r - slots] = (float)one;
                }
            },
        };

        LlamaGgufBuilder.Write(
            path, name, shape, model.Vocabulary, options,
            (t, row) =>
            {
                row.Clear();
                row[model.TargetSlotOf[t]] = (float)one;
                row[constant] = (float)one;
            },
            (v, row) =>
            {
                row.Clear();
                for (int s = 0; s < slots; s++)
                {
                    row[s] = (float)(model.TargetLogits[s][v] * rms / one);
                    row[slots + s] = (float)(model.PreviousLogits[s][v] * rms / one);
                }
            },
            seed,
            stats.Append(new(KeyPrefix + "role", GgufValue.FromString("target"))),
            blocks);
    }

    private static ForgedFamily FromExisting(string target, string draft, ulong seed)
    {
        IReadOnlyDictionary<string, GgufValue> meta = GgufReader.ReadHeader(target).Metadata;
        double Stat(string key) => meta.TryGetValue(KeyPrefix + key, out GgufValue? v)
            ? v.AsDouble()
            : throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"Cached demo file '{target}' lacks {KeyPrefix}{key}; delete it to regenerate."));
        int vocab = (int)meta["llama.vocab_size"].AsInt64(), width = (int)meta["llama.embedding_length"].AsInt64();
        return new ForgedFamily
        {
            TargetPath = target,
            DraftPath = draft,
            Options = Options(seed, vocab, width, Stat("calibrated_agreement"), Stat("mean_entropy")),
            TargetVocabularySize = vocab,
            DraftVocabularySize = (int)GgufReader.ReadHeader(draft).Metadata["llama.vocab_size"].AsInt64(),
            CalibratedAgreement = Stat("calibrated_agreement"),
            MeanTargetEntropy = Stat("mean_entropy"),
            MeanEndOfSequenceProbability = Stat("mean_eos_probability"),
        };
    }
}
