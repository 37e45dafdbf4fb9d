using System.Globalization;

namespace SpecAI.Extensions.Gguf.Forge.Demo;

/// <summary>
/// Writes the demo family: a target and a draft that write English-looking text (short stories and answers), learned
/// at forge time from a corpus the forge generates itself (no download, no copied text), with a byte-level BPE
/// vocabulary learned from the same corpus and a ChatML template. The text is fluent-looking nonsense: the models
/// know which word follows which, nothing more.
/// </summary>
/// <remarks>
/// Target: the corpus's token bigram table, exact: token_embd puts each context the corpus shows on its own axis
/// (one-hot scaled to RMS 1, so RMSNorm leaves it alone) and output row v holds log p(v | t) on axis t. Draft: a
/// class-based bigram over fewer axes (contexts clustered by their next-token distributions, smoothed towards the
/// unigram), so it is cheaper and agrees with the target where the text is predictable. The block weights add
/// nothing to the residual stream (their output projections are zero) but are computed as in any model.
/// <see cref="ForgedFamily.CalibratedAgreement"/> is measured, not requested: the greedy top-1 agreement of the two
/// tables over the corpus's contexts, weighted by how often each occurs.
/// </remarks>
public static class DemoModelForge
{
    /// <summary>Bumped whenever the same seed would produce different files; part of cached file names.</summary>
    public const int FormatVersion = 1;

    /// <summary>The one line that says what the demo models are.</summary>
    public const string Notice = "demo models generated locally: fluent-looking nonsense; pass --target/--draft for real GGUF models";

    private const string KeyPrefix = "specai.forge.";
    private const int CorpusCharacters = 300_000;
    private const int MaxMerges = 4_000;
    private const int DraftWidth = 128;
    private const int HeadLength = 64;

    /// <summary>Writes the demo target and draft generated from <paramref name="seed"/> (same seed, same files).</summary>
    /// <exception cref="ArgumentException">A path is empty.</exception>
    public static ForgedFamily WriteFamily(string targetPath, string draftPath, ulong seed = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        ArgumentException.ThrowIfNullOrEmpty(draftPath);
        var model = DemoLanguageModel.Build(seed, CorpusCharacters, MaxMerges, DraftWidth);
        int targetWidth = (model.TargetLogits.Length + HeadLength - 1) / HeadLength * HeadLength;
        LlamaFamilyOptions options = Options(seed, model.Vocabulary.Count, targetWidth, model.Agreement, model.MeanEntropy);
        var stats = new Dictionary<string, GgufValue>
        {
            [KeyPrefix + "format_version"] = GgufValue.FromUInt32(FormatVersion),
            [KeyPrefix + "kind"] = GgufValue.FromString("demo"),
            [KeyPrefix + "calibrated_agreement"] = GgufValue.FromFloat64(model.Agreement),
            [KeyPrefix + "mean_entropy"] = GgufValue.FromFloat64(model.MeanEntropy),
            [KeyPrefix + "mean_eos_probability"] = GgufValue.FromFloat64(model.MeanEndOfSequenceProbability),
        };

        Write(targetPath, options.Name + "-target", options.Target, options, model.Vocabulary, model.TargetSlotOf, model.TargetLogits, seed ^ 0x7A26E7UL, stats, "target");
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

        string tag = Guid.NewGuid().ToString("N");
        string tmpTarget = $"{target}.{tag}.tmp", tmpDraft = $"{draft}.{tag}.tmp";
        try
        {
            ForgedFamily family = WriteFamily(tmpTarget, tmpDraft, seed);
            File.Move(tmpDraft, draft, overwrite: true);
            File.Move(tmpTarget, target, overwrite: true);
            return family with { TargetPath = target, DraftPath = draft };
        }
        finally
        {
            File.Delete(tmpTarget);
            File.Delete(tmpDraft);
        }
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
        // One block each with a single KV head: the work per token is mostly the output table, as in small real models.
        Target = new LlamaModelShape(targetWidth, 1, 64, targetWidth / HeadLength) { HeadCountKv = 1 },
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
