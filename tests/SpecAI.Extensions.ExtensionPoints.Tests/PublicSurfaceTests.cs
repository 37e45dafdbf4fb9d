using SpecAI.Extensions.Engine;

namespace SpecAI.Extensions.ExtensionPoints.Tests;

/// <summary>
/// The core's public types are a decision (CONTRIBUTING.md, "How the public surface is decided"): this list changes
/// only together with PublicAPI.*.txt and the reason in the pull request.
/// </summary>
public sealed class PublicSurfaceTests
{
    private static readonly string[] Expected =
    [
        "SpecAI.Extensions.Drafting.DraftNode",
        "SpecAI.Extensions.Drafting.DraftRequest",
        "SpecAI.Extensions.Drafting.DraftScheme",
        "SpecAI.Extensions.Drafting.DraftStep",
        "SpecAI.Extensions.Drafting.DraftTree",
        "SpecAI.Extensions.Drafting.IDraftSource",
        "SpecAI.Extensions.Engine.DecodeBatch",
        "SpecAI.Extensions.Engine.EmbeddingInputNotSupportedException",
        "SpecAI.Extensions.Engine.GenerationSettings",
        "SpecAI.Extensions.Engine.GenerationStopReason",
        "SpecAI.Extensions.Engine.IModelSession",
        "SpecAI.Extensions.Engine.ITokenTextDecoder",
        "SpecAI.Extensions.Engine.KvCacheFullException",
        "SpecAI.Extensions.Engine.SequenceRollback",
        "SpecAI.Extensions.Engine.SpeculativeEngine",
        "SpecAI.Extensions.Judge.IJudgeEquivalenceCheck",
        "SpecAI.Extensions.Judge.ITargetContinuation",
        "SpecAI.Extensions.Judge.JudgeDataset",
        "SpecAI.Extensions.Judge.JudgeHead",
        "SpecAI.Extensions.Judge.JudgeHeadMismatchException",
        "SpecAI.Extensions.Judge.JudgeLabelledResponse",
        "SpecAI.Extensions.Judge.JudgeMismatch",
        "SpecAI.Extensions.Judge.JudgeSpan",
        "SpecAI.Extensions.Judge.JudgeTargetFingerprint",
        "SpecAI.Extensions.Judge.JudgeThresholdMetrics",
        "SpecAI.Extensions.Judge.JudgeTokenExample",
        "SpecAI.Extensions.Judge.JudgeTrainer",
        "SpecAI.Extensions.Judge.JudgeTrainingOptions",
        "SpecAI.Extensions.Judge.JudgeTrainingResult",
        "SpecAI.Extensions.RequestQueueFullException",
        "SpecAI.Extensions.Sampling.IRandomSource",
        "SpecAI.Extensions.Sampling.ITokenConstraint",
        "SpecAI.Extensions.Sampling.SamplingOptions",
        "SpecAI.Extensions.SpeculationLimits",
        "SpecAI.Extensions.SpeculationMode",
        "SpecAI.Extensions.SpeculationStatistics",
        "SpecAI.Extensions.SpeculationTelemetry",
        "SpecAI.Extensions.Verification.ISpeculativeVerifier",
        "SpecAI.Extensions.Verification.ITokenEmbeddings",
        "SpecAI.Extensions.Verification.VerificationNode",
        "SpecAI.Extensions.Verification.VerificationResult",
        "SpecAI.Extensions.VerifierKind",
        "SpecAI.Extensions.VocabularyCompatibility",
        "SpecAI.Extensions.VocabularyCompatibilityKind",
        "SpecAI.Extensions.VocabularyMapping",
    ];

    [Fact]
    public void TheCoreExportsExactlyTheDecidedTypes()
    {
        var exported = typeof(SpeculativeEngine).Assembly.GetExportedTypes()
            .Where(t => !t.IsNested)
            .Select(t => t.FullName!)
            .Order(StringComparer.Ordinal)
            .ToArray();

        Assert.Equal(Expected.Order(StringComparer.Ordinal), exported);
        Assert.True(exported.Length <= 45, $"{exported.Length} public types in the core; the budget is 45 (issue 24)");
    }
}
