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
    public const int FormatVersion = 3;

    private const string KeyPrefix = "specai.forge.";

    /// <summary>Writes the target and draft of the family described by <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid or a path is empty.</exception>
    /// <exception cref="FileNotFoundException">A tokenizer file is missing.</exception>
    /// <exception cref="InvalidDataException">A tokenizer cannot be read (see <see cref="ForgeVocabulary.FromTokenizer"/>).</exception>
    public static ForgedFamily WriteFamily(LlamaFamilyOptions options, string targetPath, string draftPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var (target, draft) = Vocabularies(options);
        return WriteFamily(options, target, draft, targetPath, draftPath);
    }

    /// <summary>
    /// Writes a family over explicit vocabularies (their sizes and tokenizers override those in <paramref name="options"/>).
    /// The draft realises the target's bigram table on the tokens both hold (same text, or the same role for
    /// BOS/EOS/EOT); draft tokens the target lacks get inputs of their own and are never sampled.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid or a path is empty.</exception>
    public static ForgedFamily WriteFamily(LlamaFamilyOptions options, ForgeVocabulary targetVocabulary, ForgeVocabulary draftVocabulary, string targetPath, string draftPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(targetVocabulary);
        ArgumentNullException.ThrowIfNull(draftVocabulary);
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        ArgumentException.ThrowIfNullOrEmpty(draftPath);
        options.Validate();

        var map = VocabularyMap.Create(targetVocabulary, draftVocabulary);
        bool[]? draftHas = map.CoversSampledTargetTokens(targetVocabulary) ? null : map.TargetCovered;
        var plan = BigramPlan.Create(options, targetVocabulary, draftHas, new ForgeRandom(options.Seed));
        var stats = plan.Stats(KeyPrefix, FormatVersion, options.Agreement);

        int nt = options.Target.EmbeddingLength, nd = options.Draft.EmbeddingLength, r = plan.Rank;
        float targetIn = MathF.Sqrt(nt), draftIn = MathF.Sqrt(nd / 2f);
        ulong draftSeed = options.Seed ^ 0xD2AF7UL;
        LlamaGgufBuilder.Write(
            targetPath, options.Name + "-target", options.Target, targetVocabulary, options,
            (t, row) => { plan.FillA(t, row); Scale(row[..r], targetIn); },
            (v, row) => { plan.FillB(v, row); Scale(row[..r], 1 / targetIn); },
            options.Seed ^ 0x7A26E7UL,
            stats.Append(new(KeyPrefix + "role", GgufValue.FromString("target"))));
        LlamaGgufBuilder.Write(
            draftPath, options.Name + "-draft", options.Draft, draftVocabulary, options,
            (d, row) =>
            {
                int t = map.DraftToTarget[d];
                if (t >= 0)
                {
                    plan.FillA(t, row);
                    if (!plan.Padding[t])
                    {
                        plan.DRow(t).CopyTo(row[r..]);
                    }
                }
                else if (draftVocabulary.TokenTypes[d] != LlamaTokenType.Unused)
                {
                    plan.FillForeignInput(d, draftSeed, row);
                }

                Scale(row, draftIn);
            },
            (d, row) =>
            {
                int t = map.DraftToTarget[d];
                if (t >= 0)
                {
                    plan.FillB(t, row);
                    plan.FillNoiseOutput(t, row[r..]);
                }
                else
                {
                    BigramPlan.FillUnsampled(options.UnsampledLogit, row);
                }

                Scale(row, 1 / draftIn);
            },
            draftSeed,
            stats.Append(new(KeyPrefix + "role", GgufValue.FromString("draft"))));

        return new ForgedFamily
        {
            TargetPath = targetPath,
            DraftPath = draftPath,
            Options = options,
            TargetVocabularySize = targetVocabulary.Count,
            DraftVocabularySize = draftVocabulary.Count,
            CalibratedAgreement = plan.CalibratedAgreement,
            MeanTargetEntropy = plan.MeanEntropy,
            MeanEndOfSequenceProbability = plan.MeanEndOfSequenceProbability,
        };
    }

    /// <summary>The target's and the draft's vocabularies that <paramref name="options"/> describe.</summary>
    /// <exception cref="ArgumentException">A size is below its tokenizer's count, or a renamed token exists in neither tokenizer.</exception>
    public static (ForgeVocabulary Target, ForgeVocabulary Draft) Vocabularies(LlamaFamilyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TokenizerPath is null)
        {
            var synthetic = ForgeVocabulary.Create(options.VocabularySize ?? 32_000, options.ChatTemplate);
            return (synthetic, Pad(synthetic, options.DraftVocabularySize, nameof(options.DraftVocabularySize)));
        }

        ForgeVocabulary tokenizer = ForgeVocabulary.FromTokenizer(options.TokenizerPath, null, options.AddedTokenNames);
        ForgeVocabulary target = Pad(tokenizer, options.VocabularySize, nameof(options.VocabularySize));
        bool shared = options.DraftTokenizerPath is null
            || string.Equals(Path.GetFullPath(options.DraftTokenizerPath), Path.GetFullPath(options.TokenizerPath), StringComparison.Ordinal);
        ForgeVocabulary draft = shared
            ? Pad(tokenizer, options.DraftVocabularySize ?? target.Count, nameof(options.DraftVocabularySize))
            : Pad(ForgeVocabulary.FromTokenizer(options.DraftTokenizerPath!, null, options.AddedTokenNames), options.DraftVocabularySize, nameof(options.DraftVocabularySize));
        foreach (string name in options.AddedTokenNames?.Values ?? [])
        {
            if (!target.Tokens.Contains(name) && !draft.Tokens.Contains(name))
            {
                throw new ArgumentException($"AddedTokenNames: neither tokenizer has the token to be named '{name}'.", nameof(options));
            }
        }

        return (target, draft);
    }

    private static ForgeVocabulary Pad(ForgeVocabulary vocabulary, int? size, string option) =>
        size is not int n ? vocabulary
        : n >= vocabulary.Count ? vocabulary.PadTo(n)
        : throw new ArgumentException($"{option} {n} is below the vocabulary's own {vocabulary.Count} tokens.", option);

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
        string description = options.Describe();
        description = description.Length <= 170 ? description : TokenizerFingerprint.OfText(description);
        string stem = Path.Combine(cacheDirectory, $"forge{FormatVersion}-{options.Name}-{description}");
        string target = stem + "-target.gguf", draft = stem + "-draft.gguf";
        if (File.Exists(target) && File.Exists(draft))
        {
            return FromExisting(options, target, draft);
        }

        ForgedFamily family = ForgeFiles.WritePair(target, draft, (t, d) => WriteFamily(options, t, d));
        return family with { TargetPath = target, DraftPath = draft };
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
            TargetVocabularySize = (int)meta["llama.vocab_size"].AsInt64(),
            DraftVocabularySize = (int)GgufReader.ReadHeader(draft).Metadata["llama.vocab_size"].AsInt64(),
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
