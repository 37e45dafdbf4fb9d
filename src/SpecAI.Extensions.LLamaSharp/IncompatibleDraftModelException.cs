namespace SpecAI.Extensions;

/// <summary>The draft model cannot draft for the target: their vocabularies differ.</summary>
public sealed class IncompatibleDraftModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="targetModel">Target model name.</param>
    /// <param name="draftModel">Draft model name.</param>
    /// <param name="detail">What differs (size, or the first differing token).</param>
    public IncompatibleDraftModelException(string targetModel, string draftModel, string detail)
        : base($"Draft model '{draftModel}' cannot draft for target '{targetModel}': {detail}. Draft and target must share one vocabulary (same size, same token texts).")
    {
        TargetModel = targetModel;
        DraftModel = draftModel;
    }

    /// <summary>Target model name.</summary>
    public string TargetModel { get; }

    /// <summary>Draft model name.</summary>
    public string DraftModel { get; }
}
