using System.Globalization;

namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>
/// Writes llama-architecture GGUF families (a target and a cheaper draft over one vocabulary) whose
/// greedy agreement and next-token entropy are set by <see cref="LlamaFamilyOptions"/>.
/// </summary>
/// <remarks>
/// Both models realise one low-rank bigram table (see the remarks of the internal BigramPlan):
/// token_embd holds a unit direction A_t scaled so its RMS is 1 (RMSNorm is then the identity), output
/// holds B_v so that the logits are B_v · A_t; the draft adds a perturbation of calibrated size on its
/// own coordinates. The blocks have random attention and FFN weights (real compute) but their output
/// projections are scaled by <see cref="LlamaFamilyOptions.ResidualScale"/>, so the logits depend
/// mainly on the last token and only a little on the context.
/// </remarks>
public static class LlamaModelForge
{
    /// <summary>Bumped whenever the same options would produce different files; part of cached file names.</summary>
    public const int FormatVersion = 2;

    private const string KeyPrefix = "specai.forge.";

    /// <summary>Writes the target and draft of the family described by <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid or a path is empty.</exception>
    public static ForgedFamily WriteFamily(LlamaFamilyOptions options, string targetPath, string draftPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        ArgumentException.ThrowIfNullOrEmpty(draftPath);
        options.Validate();

        var vocabulary = ForgeVocabulary.Create(options.VocabularySize, options.ChatTemplate);
        var plan = BigramPlan.Create(options, vocabulary, new ForgeRandom(options.Seed));
        var stats = new Dictionary<string, GgufValue>
        {
            [KeyPrefix + "format_version"] = GgufValue.FromUInt32(FormatVersion),
            [KeyPrefix + "requested_agreement"] = GgufValue.FromFloat64(options.Agreement),
            [KeyPrefix + "calibrated_agreement"] = GgufValue.FromFloat64(plan.CalibratedAgreement),
            [KeyPrefix + "mean_entropy"] = GgufValue.FromFloat64(plan.MeanEntropy),
            [KeyPrefix + "mean_eos_probability"] = GgufValue.FromFloat64(plan.MeanEndOfSequenceProbability),
        };

        int nt = options.Target.EmbeddingLength, nd = options.Draft.EmbeddingLength, r = plan.Rank;
        float targetIn = MathF.Sqrt(nt), draftIn = MathF.Sqrt(nd / 2f);
        LlamaGgufBuilder.Write(
            targetPath, options.Name + "-target", options.Target, vocabulary, options,
            (t, row) => { plan.FillA(t, row); Scale(row[..r], targetIn); },
            (v, row) => { plan.FillB(v, row); Scale(row[..r], 1 / targetIn); },
            options.Seed ^ 0x7A26E7UL,
            stats.Append(new(KeyPrefix + "role", GgufValue.FromString("target"))));
        LlamaGgufBuilder.Write(
            draftPath, options.Name + "-draft", options.Draft, vocabulary, options,
            (t, row) => { plan.FillA(t, row); plan.DRow(t).CopyTo(row[r..]); Scale(row, draftIn); },
            (v, row) => { plan.FillB(v, row); plan.FillNoiseOutput(v, row[r..]); Scale(row, 1 / draftIn); },
            options.Seed ^ 0xD2AF7UL,
            stats.Append(new(KeyPrefix + "role", GgufValue.FromString("draft"))));

        return new ForgedFamily
        {
            TargetPath = targetPath,
            DraftPath = draftPath,
            Options = options,
            CalibratedAgreement = plan.CalibratedAgreement,
            MeanTargetEntropy = plan.MeanEntropy,
            MeanEndOfSequenceProbability = plan.MeanEndOfSequenceProbability,
        };
    }

    /// <summary>
    /// Returns the family for <paramref name="options"/> (default <see cref="LlamaFamilyOptions.Default"/>) from
    /// <paramref name="cacheDirectory"/>, writing it first if it is not there. File names encode the options and
    /// <see cref="FormatVersion"/>; files are written under temporary names and renamed, so concurrent callers never
    /// see half-written models.
    /// </summary>
    /// <exception cref="ArgumentException">The directory is empty or an option is invalid.</exception>
    public static ForgedFamily GetOrCreateFamily(string cacheDirectory, LlamaFamilyOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheDirectory);
        options ??= LlamaFamilyOptions.Default;
        options.Validate();
        Directory.CreateDirectory(cacheDirectory);
        string stem = Path.Combine(cacheDirectory, $"forge{FormatVersion}-{options.Name}-{options.Describe()}");
        string target = stem + "-target.gguf", draft = stem + "-draft.gguf";
        if (File.Exists(target) && File.Exists(draft))
        {
            return FromExisting(options, target, draft);
        }

        string tag = Guid.NewGuid().ToString("N");
        string tmpTarget = $"{target}.{tag}.tmp", tmpDraft = $"{draft}.{tag}.tmp";
        try
        {
            ForgedFamily family = WriteFamily(options, tmpTarget, tmpDraft);
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

    private static ForgedFamily FromExisting(LlamaFamilyOptions options, string target, string draft)
    {
        IReadOnlyDictionary<string, GgufValue> meta = GgufReader.ReadHeader(target).Metadata;
        double Stat(string key) => meta.TryGetValue(KeyPrefix + key, out GgufValue? v)
            ? v.AsDouble()
            : throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"Cached forge file '{target}' lacks {KeyPrefix}{key}; delete it to regenerate."));
        return new ForgedFamily
        {
            TargetPath = target,
            DraftPath = draft,
            Options = options,
            CalibratedAgreement = Stat("calibrated_agreement"),
            MeanTargetEntropy = Stat("mean_entropy"),
            MeanEndOfSequenceProbability = Stat("mean_eos_probability"),
        };
    }

    private static void Scale(Span<float> row, float factor)
    {
        for (int i = 0; i < row.Length; i++)
        {
            row[i] *= factor;
        }
    }
}
