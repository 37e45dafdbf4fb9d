namespace SpecAI.Extensions.Judge;

/// <summary>
/// A judge head was loaded for a target model other than the one it was trained on (its scores would be
/// meaningless there). The message names both fingerprints.
/// </summary>
public sealed class JudgeHeadMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="headPath">The head file (or a description of where the head came from).</param>
    /// <param name="head">The fingerprint stored in the head.</param>
    /// <param name="target">The fingerprint of the target it was loaded for.</param>
    public JudgeHeadMismatchException(string headPath, JudgeTargetFingerprint head, JudgeTargetFingerprint target)
        : base($"Judge head '{headPath}' was trained for target {head} but is loaded for target {target}; train a head for this target with `specai judge train`.")
    {
        HeadPath = headPath;
        HeadTarget = head;
        Target = target;
    }

    /// <summary>The head file.</summary>
    public string HeadPath { get; }

    /// <summary>The fingerprint stored in the head.</summary>
    public JudgeTargetFingerprint HeadTarget { get; }

    /// <summary>The fingerprint of the target it was loaded for.</summary>
    public JudgeTargetFingerprint Target { get; }
}
