namespace SpecAI.Extensions;

/// <summary>
/// The draft model cannot draft for the target: with <see cref="VocabularyMapping.Exact"/>, their vocabularies
/// differ; with any other mapping, no token or text can pass between them.
/// </summary>
public sealed class IncompatibleDraftModelException : Exception
{
    /// <summary>Creates the exception for <see cref="VocabularyMapping.Exact"/>: the vocabularies differ.</summary>
    /// <param name="targetModel">Target model name.</param>
    /// <param name="draftModel">Draft model name.</param>
    /// <param name="detail">What differs (size, or the first differing token).</param>
    public IncompatibleDraftModelException(string targetModel, string draftModel, string detail)
        : base($"Draft model '{draftModel}' cannot draft for target '{targetModel}': {detail}. Draft and target must share one vocabulary (same size, same token texts).")
    {
        TargetModel = targetModel;
        DraftModel = draftModel;
        Mapping = VocabularyMapping.Exact;
    }

    /// <summary>Creates the exception for a mapping other than <see cref="VocabularyMapping.Exact"/>.</summary>
    /// <param name="targetModel">Target model name.</param>
    /// <param name="draftModel">Draft model name.</param>
    /// <param name="reason">Why nothing can pass between the vocabularies.</param>
    /// <param name="mapping">The mapping that was configured.</param>
    public IncompatibleDraftModelException(string targetModel, string draftModel, string reason, VocabularyMapping mapping)
        : base($"Draft model '{draftModel}' cannot draft for target '{targetModel}' with vocabulary mapping {mapping}: {reason}.")
    {
        TargetModel = targetModel;
        DraftModel = draftModel;
        Mapping = mapping;
    }

    /// <summary>Target model name.</summary>
    public string TargetModel { get; }

    /// <summary>Draft model name.</summary>
    public string DraftModel { get; }

    /// <summary>The vocabulary mapping under which the pair was refused.</summary>
    public VocabularyMapping Mapping { get; }
}
