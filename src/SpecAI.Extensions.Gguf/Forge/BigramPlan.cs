using System.Numerics.Tensors;

namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>
/// The shared low-rank bigram table both models realise, and the draft's perturbation.
/// </summary>
/// <remarks>
/// Target logits after token t: <c>L_t[v] = B_v · A_t = bias_v + σ g_v · u_t</c> with unit u_t (rank r - 1)
/// and g_v of norm sqrt(r - 1) (random directions), so each logit is N(0, σ²) around the bias; σ is bisected to reach the requested
/// mean entropy. The first coordinate of A_t is a constant γ that carries the bias.
/// Draft logits: <c>L_t + ε N_t</c>, <c>N_t[v] = σ c_v · d_t</c> from independent factors of rank rn.
/// For one context the draft's argmax stays the target's for ε below
/// <c>ε*_t = min over v with N_v &gt; N_v* of (L_v* - L_v) / (N_v - N_v*)</c> (v* the target's argmax) and never
/// again above it (an upper envelope of lines), so the agreement at ε is the share of contexts with
/// ε*_t &gt; ε; ε is that quantile over contexts drawn by sampling the target at T = 1 from BOS.
/// Tokens the models must never sample (padding, control and user-defined added tokens other than EOS/EOT) have
/// zero g_v and c_v and the bias <see cref="LlamaFamilyOptions.UnsampledLogit"/>. When the draft lacks some target
/// tokens (another tokenizer), its argmax runs over the tokens it has, and a context whose target argmax it lacks
/// counts as a disagreement at every ε.
/// </remarks>
internal sealed class BigramPlan
{
    private const float Gamma = 0.5f;

    private BigramPlan(int vocab, int rank, int noiseRank)
    {
        VocabularySize = vocab;
        Rank = rank;
        NoiseRank = noiseRank;
        U = new float[vocab * (rank - 1)];
        G = new float[vocab * (rank - 1)];
        D = new float[vocab * noiseRank];
        C = new float[vocab * noiseRank];
        Bias = new float[vocab];
    }

    public int VocabularySize { get; }
    public int Rank { get; }
    public int NoiseRank { get; }
    public float[] U { get; }
    public float[] G { get; }
    public float[] D { get; }
    public float[] C { get; }
    public float[] Bias { get; }
    public double Sigma { get; private set; }
    public double Epsilon { get; private set; }
    public double CalibratedAgreement { get; private set; }
    public double MeanEntropy { get; private set; }
    public double MeanEndOfSequenceProbability { get; private set; }

    /// <summary>Padding (unused) ids: their embedding rows are zero.</summary>
    public bool[] Padding { get; private set; } = [];

    /// <summary>
    /// The calibration figures both forges record in each file's metadata under <paramref name="keyPrefix"/>, with the
    /// forge's <paramref name="formatVersion"/> and the <paramref name="requestedAgreement"/> it was asked for.
    /// </summary>
    public Dictionary<string, GgufValue> Stats(string keyPrefix, uint formatVersion, double requestedAgreement) => new()
    {
        [keyPrefix + "format_version"] = GgufValue.FromUInt32(formatVersion),
        [keyPrefix + "requested_agreement"] = GgufValue.FromFloat64(requestedAgreement),
        [keyPrefix + "calibrated_agreement"] = GgufValue.FromFloat64(CalibratedAgreement),
        [keyPrefix + "mean_entropy"] = GgufValue.FromFloat64(MeanEntropy),
        [keyPrefix + "mean_eos_probability"] = GgufValue.FromFloat64(MeanEndOfSequenceProbability),
    };

    /// <summary>Builds the plan over the target's vocabulary; <paramref name="draftHas"/> marks the target ids the draft can propose (null: all).</summary>
    public static BigramPlan Create(LlamaFamilyOptions options, ForgeVocabulary vocabulary, bool[]? draftHas, ForgeRandom random)
    {
        int rank = options.EffectiveBigramRank;
        var plan = new BigramPlan(vocabulary.Count, rank, options.Draft.EmbeddingLength - rank);
        int r1 = rank - 1;
        for (int v = 0; v < plan.VocabularySize; v++)
        {
            random.FillUnit(plan.U.AsSpan(v * r1, r1));
            // Equal norms: no token is a hub that every context favours, so sampled text visits many contexts.
            random.FillUnit(plan.G.AsSpan(v * r1, r1));
            TensorPrimitives.Multiply(plan.G.AsSpan(v * r1, r1), MathF.Sqrt(r1), plan.G.AsSpan(v * r1, r1));
            random.FillUnit(plan.D.AsSpan(v * plan.NoiseRank, plan.NoiseRank));
            random.FillGaussian(plan.C.AsSpan(v * plan.NoiseRank, plan.NoiseRank), 1.0);
        }

        plan.Padding = vocabulary.TokenTypes.Select(t => t == LlamaTokenType.Unused).ToArray();
        for (int v = 0; v < plan.VocabularySize; v++)
        {
            if (!vocabulary.IsSampled(v))
            {
                plan.G.AsSpan(v * r1, r1).Clear();
                plan.C.AsSpan(v * plan.NoiseRank, plan.NoiseRank).Clear();
                plan.Bias[v] = (float)options.UnsampledLogit;
            }
        }

        if (options.EndOfSequenceProbability is not null)
        {
            // A constant EOS logit: answers end at a steady rate instead of only after a few tokens.
            plan.G.AsSpan(vocabulary.EndOfSequence * r1, r1).Clear();
        }

        plan.Bias[vocabulary.EndOfSequence] = (float)options.EndOfSequenceLogitBias;
        float[][] rows = plan.SampleBaseLogits(random);
        plan.Sigma = plan.CalibrateSigma(options.TargetEntropy, rows);
        if (options.EndOfSequenceProbability is double eosProbability)
        {
            plan.Bias[vocabulary.EndOfSequence] = (float)plan.CalibrateEndOfSequenceBias(vocabulary.EndOfSequence, eosProbability, rows);
        }

        plan.CalibrateEpsilon(options.Agreement, options.CalibrationSamples, vocabulary.BeginOfSequence, vocabulary.EndOfSequence, draftHas, random);
        return plan;
    }

    /// <summary>Row t of the embedding direction A (unit length, rank r).</summary>
    public void FillA(int t, Span<float> destination)
    {
        if (Padding[t])
        {
            destination.Clear();
            return;
        }

        float s = MathF.Sqrt(1 - (Gamma * Gamma));
        destination[0] = Gamma;
        ReadOnlySpan<float> u = U.AsSpan(t * (Rank - 1), Rank - 1);
        for (int i = 0; i < u.Length; i++)
        {
            destination[i + 1] = s * u[i];
        }
    }

    /// <summary>Row v of the output table B, so that B_v · A_t = bias_v + σ g_v · u_t.</summary>
    public void FillB(int v, Span<float> destination)
    {
        float s = MathF.Sqrt(1 - (Gamma * Gamma));
        destination[0] = Bias[v] / Gamma;
        ReadOnlySpan<float> g = G.AsSpan(v * (Rank - 1), Rank - 1);
        for (int i = 0; i < g.Length; i++)
        {
            destination[i + 1] = (float)(Sigma * g[i] / s);
        }
    }

    /// <summary>The input row of a draft token the target lacks: a direction of its own, seeded by its id.</summary>
    public void FillForeignInput(int draftId, ulong seed, Span<float> destination)
    {
        var random = new ForgeRandom(seed ^ ((ulong)(draftId + 1) * 0xD1B54A32D192ED03UL));
        Span<float> u = stackalloc float[Rank - 1];
        random.FillUnit(u);
        float s = MathF.Sqrt(1 - (Gamma * Gamma));
        destination[0] = Gamma;
        for (int i = 0; i < u.Length; i++)
        {
            destination[i + 1] = s * u[i];
        }

        random.FillUnit(destination.Slice(Rank, NoiseRank));
    }

    /// <summary>The output row of a token never sampled: only the constant coordinate, giving the logit <paramref name="logit"/>.</summary>
    public static void FillUnsampled(double logit, Span<float> destination)
    {
        destination.Clear();
        destination[0] = (float)(logit / Gamma);
    }

    /// <summary>Row t of the noise direction D (unit length).</summary>
    public ReadOnlySpan<float> DRow(int t) => D.AsSpan(t * NoiseRank, NoiseRank);

    /// <summary>Row v of the noise output, ε σ c_v.</summary>
    public void FillNoiseOutput(int v, Span<float> destination) =>
        TensorPrimitives.Multiply(C.AsSpan(v * NoiseRank, NoiseRank), (float)(Epsilon * Sigma), destination);

    private void BaseLogits(int t, Span<float> destination)
    {
        int r1 = Rank - 1;
        ReadOnlySpan<float> u = U.AsSpan(t * r1, r1);
        for (int v = 0; v < VocabularySize; v++)
        {
            destination[v] = TensorPrimitives.Dot(G.AsSpan(v * r1, r1), u);
        }
    }

    /// <summary>Base logits g_v · u_t of 64 contexts t drawn uniformly.</summary>
    private float[][] SampleBaseLogits(ForgeRandom random)
    {
        int samples = Math.Min(64, VocabularySize);
        var rows = new float[samples][];
        for (int i = 0; i < samples; i++)
        {
            rows[i] = new float[VocabularySize];
            BaseLogits(random.NextInt(VocabularySize), rows[i]);
        }

        return rows;
    }

    private double CalibrateSigma(double entropy, float[][] rows)
    {
        var logits = new double[VocabularySize];
        double MeanEntropy(double sigma) => rows.Average(row =>
        {
            for (int v = 0; v < row.Length; v++)
            {
                logits[v] = (sigma * row[v]) + Bias[v];
            }

            return Softmax.Entropy(logits);
        });

        double lo = 0, hi = 64;
        for (int i = 0; i < 40; i++)
        {
            double mid = 0.5 * (lo + hi);
            (lo, hi) = MeanEntropy(mid) > entropy ? (mid, hi) : (lo, mid);
        }

        return 0.5 * (lo + hi);
    }

    /// <summary>
    /// The EOS bias b whose mean EOS probability over <paramref name="rows"/> is <paramref name="probability"/>: per
    /// context p(b) = e^(b + x) / (Z + e^(b + x)) with Z the other tokens' mass, increasing in b, so bisection finds it.
    /// </summary>
    private double CalibrateEndOfSequenceBias(int eos, double probability, float[][] rows)
    {
        var own = new double[rows.Length];
        var rest = new double[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            double max = double.NegativeInfinity;
            for (int v = 0; v < VocabularySize; v++)
            {
                max = v == eos ? max : Math.Max(max, (Sigma * rows[i][v]) + Bias[v]);
            }

            for (int v = 0; v < VocabularySize; v++)
            {
                rest[i] += v == eos ? 0 : Math.Exp((Sigma * rows[i][v]) + Bias[v] - max);
            }

            own[i] = (Sigma * rows[i][eos]) - max;
        }

        double lo = -200, hi = 200;
        for (int step = 0; step < 60; step++)
        {
            double mid = 0.5 * (lo + hi);
            double mean = own.Select((x, i) => 1 / (1 + (rest[i] * Math.Exp(-(mid + x))))).Average();
            (lo, hi) = mean < probability ? (mid, hi) : (lo, mid);
        }

        return 0.5 * (lo + hi);
    }

    private void CalibrateEpsilon(double agreement, int samples, int bos, int eos, bool[]? draftHas, ForgeRandom random)
    {
        var thresholds = new double[samples];
        var logits = new float[VocabularySize];
        var noise = new float[VocabularySize];
        var p = new double[VocabularySize];
        double entropySum = 0, eosSum = 0;
        int t = bos;
        for (int i = 0; i < samples; i++)
        {
            BaseLogits(t, logits);
            TensorPrimitives.Multiply(logits, (float)Sigma, logits);
            TensorPrimitives.Add(logits, Bias, logits);
            ReadOnlySpan<float> d = DRow(t);
            for (int v = 0; v < VocabularySize; v++)
            {
                noise[v] = (float)(Sigma * TensorPrimitives.Dot(C.AsSpan(v * NoiseRank, NoiseRank), d));
            }

            thresholds[i] = FlipThreshold(logits, noise, draftHas);
            for (int v = 0; v < VocabularySize; v++)
            {
                p[v] = logits[v];
            }

            entropySum += Softmax.Entropy(p);
            Softmax.Normalize(p);
            eosSum += p[eos];
            t = Softmax.Sample(p, random.NextDouble());
        }

        Array.Sort(thresholds);
        int disagree = (int)Math.Round((1 - agreement) * samples);
        Epsilon = disagree == 0 ? 0
            : disagree >= samples ? 2 * thresholds.Where(double.IsFinite).DefaultIfEmpty(1).Max()
            : double.IsFinite(thresholds[disagree]) ? 0.5 * (thresholds[disagree - 1] + thresholds[disagree])
            : 2 * thresholds[disagree - 1];
        CalibratedAgreement = thresholds.Count(x => x > Epsilon) / (double)samples;
        MeanEntropy = entropySum / samples;
        MeanEndOfSequenceProbability = eosSum / samples;
    }

    /// <summary>
    /// The smallest ε at which the draft's argmax of L + ε N over the ids it has leaves argmax(L); infinity if never,
    /// zero if the draft lacks argmax(L).
    /// </summary>
    internal static double FlipThreshold(ReadOnlySpan<float> logits, ReadOnlySpan<float> noise, bool[]? draftHas = null)
    {
        int best = TensorPrimitives.IndexOfMax(logits);
        if (draftHas is not null && !draftHas[best])
        {
            return 0;
        }

        double min = double.PositiveInfinity;
        for (int v = 0; v < logits.Length; v++)
        {
            double slope = (double)noise[v] - noise[best];
            if (v != best && slope > 0 && (draftHas is null || draftHas[v]))
            {
                min = Math.Min(min, ((double)logits[best] - logits[v]) / slope);
            }
        }

        return min;
    }
}
