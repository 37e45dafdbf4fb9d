using SpecAI.Extensions.Sampling;

namespace SpecAI.Extensions.Engine;

/// <summary>What one generation asks of the engine.</summary>
public sealed record GenerationSettings
{
    /// <summary>Sampling transforms, applied identically to target and draft.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Seed of the request's random source; <see langword="null"/> for a fresh random seed.</summary>
    public long? Seed { get; init; }

    /// <summary>
    /// A random source to use instead of one seeded from <see cref="Seed"/> (for example an enumerating
    /// source in exactness proofs). Not shared between concurrent generations.
    /// </summary>
    public IRandomSource? RandomSource { get; init; }

    /// <summary>Most tokens to generate.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Where drafts come from.</summary>
    public SpeculationMode Mode { get; init; } = SpeculationMode.DraftModel;

    /// <summary>Tokens per draft (gamma); the engine may shorten it near the end or when adaptive.</summary>
    public int DraftLength { get; init; } = 4;

    /// <summary>Drafts per step (k) for <see cref="SpeculationMode.MultiDraft"/>.</summary>
    public int DraftCount { get; init; } = 1;

    /// <summary>
    /// Verification rule. At temperature 0 every lossless rule reduces to greedy matching. In
    /// <see cref="SpeculationMode.MultiDraft"/>, <see cref="VerifierKind.Standard"/> (one draft per position) is verified by
    /// its k-draft generalisation, <see cref="VerifierKind.KSeq"/>.
    /// </summary>
    public VerifierKind Verifier { get; init; } = VerifierKind.Standard;

    /// <summary>
    /// A verification rule of your own, used instead of the one <see cref="Verifier"/> (or the judge, or LANTERN) selects;
    /// <see langword="null"/> (the default) for the built-in rules.
    /// </summary>
    /// <remarks>
    /// <para>The contract (see <see cref="Verification.ISpeculativeVerifier"/>): the engine walks each step's draft tree from
    /// the root and, at every node, calls <see cref="Verification.ISpeculativeVerifier.Verify"/> once with the target's
    /// distribution p there, the draft distribution q the candidates were drawn from (empty for deterministic drafts such as
    /// prompt lookup), one candidate per draft still alive, and the request's random source. The rule returns the token to
    /// commit; when no candidate was drafted (plain decoding, or the bonus token after the last draft) it must draw from p.
    /// The walk continues below the committed token while a draft holds it. The rule is used as given at every temperature
    /// (at temperature 0, p is one-hot) and in every mode, the judge's included (its scores arrive in
    /// <see cref="Verification.VerificationNode.JudgeScores"/>).</para>
    /// <para>Calls come from the engine's one thread, one node after another, with <see cref="Verification.ISpeculativeVerifier.BeginStep"/>
    /// before each tree; an instance may therefore keep per-step state, but must not be shared between engines (clients)
    /// if it does. <see cref="Verification.ISpeculativeVerifier.IsLossless"/> is reported as the answer's losslessness
    /// (<see cref="IsLossless"/>, telemetry): claim it only for a rule that keeps the target's law exactly for the drafts of
    /// its <see cref="Verification.ISpeculativeVerifier.Scheme"/>.</para>
    /// </remarks>
    public Verification.ISpeculativeVerifier? CustomVerifier { get; init; }

    /// <summary>
    /// A draft source of your own, drafting first in each step; <see langword="null"/> (the default) for the built-in
    /// sources. It replaces prompt lookup and the prediction (<see cref="PredictedTokens"/>) as the request's first source;
    /// where <see cref="Mode"/> uses the draft model, the model fills the rest of the draft length below its drafts.
    /// </summary>
    /// <remarks>
    /// <para>The contract (see <see cref="Drafting.IDraftSource"/>): in every step where the request drafts, the engine calls
    /// <see cref="Drafting.IDraftSource.DraftBatch"/> (by default one <see cref="Drafting.IDraftSource.Draft"/> per request),
    /// verifies, and then tells the source about the commit through <see cref="Drafting.IDraftSource.Commit(Drafting.DraftStep, int, int, ReadOnlySpan{int})"/>,
    /// whatever else drafted. Drafts are verified as deterministic (one-hot q) unless the source rents distributions for its
    /// nodes. Calls come from the engine's one thread. Ignored in <see cref="SpeculationMode.None"/>; not allowed with
    /// <see cref="SpeculationMode.MultiDraft"/> or <see cref="SpeculationMode.Judge"/>, whose draft model drafts several branches
    /// from the root.</para>
    /// </remarks>
    public Drafting.IDraftSource? DraftSource { get; init; }

    /// <summary>Tokens that end the generation (end-of-generation); committed and then generation stops.</summary>
    public IReadOnlySet<int> StopTokens { get; init; } = new HashSet<int>();

    /// <summary>
    /// Texts that end the generation: the engine decodes each committed token with <see cref="TextDecoder"/> and stops at
    /// the token whose text completes one of them (the text itself is left to the caller to trim). Empty by default.
    /// </summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>Creates the decoder (one per generation) that <see cref="StopSequences"/> are matched through; required when there are any.</summary>
    public Func<ITokenTextDecoder>? TextDecoder { get; init; }

    /// <summary>Optional constraint (grammar) applied to both draft and target distributions.</summary>
    public ITokenConstraint? Constraint { get; init; }

    /// <summary>
    /// Whether the engine chooses the draft length and count before each step from its measured costs and
    /// acceptance (<c>AdaptiveDraftPolicy</c>), within <see cref="DraftLength"/> and <see cref="DraftCount"/>,
    /// switching speculation off while it does not pay.
    /// </summary>
    public bool Adaptive { get; init; }

    /// <summary>The judge head for <see cref="SpeculationMode.Judge"/> (LOSSY); the target session must provide hidden states.</summary>
    public Judge.JudgeHead? Judge { get; init; }

    /// <summary>Judge threshold in [0, 1] for this generation (1 = never judge); null takes the head's default. LOSSY below 1.</summary>
    public double? JudgeThreshold { get; init; }

    /// <summary>Most draft tokens the judge may keep per verification step; null for no limit.</summary>
    public int? MaxJudgedTokensPerStep { get; init; }

    /// <summary>
    /// Whether to record, at each verified node with sampled drafts, the optimal and the achieved acceptance
    /// (<c>OptimalAcceptance</c>; a diagnostic that sorts the support, O(V log V) per node on an
    /// untruncated vocabulary, and is not counted as verification time). Off unless set to <see langword="true"/>.
    /// </summary>
    public bool? MeasureOptimalAcceptance { get; init; }

    /// <summary>In <see cref="SpeculationMode.PromptLookup"/>, whether the draft model (when there is one) fills the draft length after the looked-up tokens.</summary>
    public bool CombineLookupWithDraftModel { get; init; }

    /// <summary>Longest n-gram prompt lookup matches (tried first). Default 3.</summary>
    public int PromptLookupMaxNgram { get; init; } = 3;

    /// <summary>Shortest n-gram prompt lookup matches. Default 1.</summary>
    public int PromptLookupMinNgram { get; init; } = 1;

    /// <summary>
    /// Predicted output (OpenAI's Predicted Outputs), as target tokens: drafted where the answer follows it
    /// (<c>PredictionDraftSource</c>). The answer is unchanged; only the number of target calls.
    /// Used in <see cref="SpeculationMode.None"/>, <see cref="SpeculationMode.DraftModel"/> (the draft model fills
    /// the draft length below the predicted tokens) and <see cref="SpeculationMode.PromptLookup"/> (looked up in the
    /// prediction first); ignored by multi-draft and judge decoding. Null or empty: no prediction.
    /// </summary>
    public IReadOnlyList<int>? PredictedTokens { get; init; }

    /// <summary>
    /// TV budget per step of <see cref="VerifierKind.Lantern"/> in [0, 1] (LOSSY above 0: each committed token's law is
    /// within this total-variation distance of the target's; 0 is standard verification, draw for draw).
    /// </summary>
    public double LanternDelta { get; init; } = Verification.LanternVerifier.DefaultDelta;

    /// <summary>Neighbourhood size k of <see cref="VerifierKind.Lantern"/> (latent neighbours a drafted token may take mass from).</summary>
    public int LanternNeighbourCount { get; init; } = Verification.LanternVerifier.DefaultNeighbourCount;

    /// <summary>The target's token embeddings, which <see cref="VerifierKind.Lantern"/> needs at temperature above 0 (the chat client fills it from the target's GGUF).</summary>
    public Verification.ITokenEmbeddings? TokenEmbeddings { get; init; }

    /// <summary>
    /// Whether the answer follows the target's law exactly: asked of the verifier these settings select (a judge at
    /// threshold 1 never judges; plain decoding has no verifier and is lossless).
    /// </summary>
    public bool IsLossless => CustomVerifier is { } custom ? custom.IsLossless : Mode switch
    {
        SpeculationMode.None => true,
        SpeculationMode.Judge => new Verification.JudgeVerifier(JudgeThreshold ?? Judge?.Threshold ?? 0.5).IsLossless,
        _ when Verifier == VerifierKind.Lantern => Sampling.IsGreedy || LanternDelta == 0,
        _ => Verification.VerifierFactory.Create(Verifier, Sampling).IsLossless,
    };

    /// <summary>Whether the optimal-acceptance diagnostic runs for this request (see <see cref="MeasureOptimalAcceptance"/>).</summary>
    public bool MeasuresOptimalAcceptance => MeasureOptimalAcceptance ?? false;

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        Sampling.Validate();
        ArgumentNullException.ThrowIfNull(StopSequences, nameof(StopSequences));
        if (TextDecoder is null && StopSequences.Any(s => !string.IsNullOrEmpty(s)))
        {
            throw new ArgumentException($"{nameof(StopSequences)} are matched on the decoded text: set {nameof(TextDecoder)} too.", nameof(TextDecoder));
        }

        if (MaxTokens < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "MaxTokens must be >= 0.");
        }

        if (DraftLength < 0 || DraftLength > SpeculationLimits.MaxDraftLength)
        {
            throw new ArgumentOutOfRangeException(nameof(DraftLength), DraftLength, $"DraftLength must be in [0, {SpeculationLimits.MaxDraftLength}].");
        }

        if (DraftCount < 1 || DraftCount > SpeculationLimits.MaxDraftCount)
        {
            throw new ArgumentOutOfRangeException(nameof(DraftCount), DraftCount, $"DraftCount must be in [1, {SpeculationLimits.MaxDraftCount}].");
        }

        if (JudgeThreshold is { } judgeThreshold && !(judgeThreshold >= 0 && judgeThreshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(JudgeThreshold), judgeThreshold, "JudgeThreshold must be in [0, 1] (1 = never judge).");
        }

        if (MaxJudgedTokensPerStep < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxJudgedTokensPerStep), MaxJudgedTokensPerStep, "MaxJudgedTokensPerStep must be at least 1 (null for no limit).");
        }

        if (!(LanternDelta >= 0 && LanternDelta <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(LanternDelta), LanternDelta, "LanternDelta must be in [0, 1] (0 = standard verification).");
        }

        if (LanternNeighbourCount < 1 || LanternNeighbourCount > Verification.LanternVerifier.MaxNeighbourCount)
        {
            throw new ArgumentOutOfRangeException(nameof(LanternNeighbourCount), LanternNeighbourCount, $"LanternNeighbourCount must be in [1, {Verification.LanternVerifier.MaxNeighbourCount}].");
        }

        if (PromptLookupMinNgram < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(PromptLookupMinNgram), PromptLookupMinNgram, "PromptLookupMinNgram must be >= 1.");
        }

        if (PromptLookupMaxNgram < PromptLookupMinNgram)
        {
            throw new ArgumentOutOfRangeException(nameof(PromptLookupMaxNgram), PromptLookupMaxNgram, "PromptLookupMaxNgram must be >= PromptLookupMinNgram.");
        }
    }
}
