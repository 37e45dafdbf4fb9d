namespace SpecAI.Extensions.Judge;

/// <summary>A trained head with its held-out evaluation.</summary>
/// <param name="Head">The head (threshold set, bound to the target when one was given).</param>
/// <param name="TrainCount">Training tokens.</param>
/// <param name="TrainAcceptable">Acceptable training tokens.</param>
/// <param name="HeldOutCount">Held-out tokens.</param>
/// <param name="HeldOutAcceptable">Acceptable held-out tokens.</param>
/// <param name="TrainAuc">ROC AUC on the training tokens.</param>
/// <param name="HeldOutAuc">ROC AUC on the held-out tokens (NaN when a class is missing there).</param>
/// <param name="HeldOut">Precision and recall per threshold on the held-out tokens (on the training tokens when nothing is held out).</param>
/// <param name="ThresholdRule">How the default threshold was chosen, in words.</param>
public sealed record JudgeTrainingResult(
    JudgeHead Head,
    int TrainCount,
    int TrainAcceptable,
    int HeldOutCount,
    int HeldOutAcceptable,
    double TrainAuc,
    double HeldOutAuc,
    IReadOnlyList<JudgeThresholdMetrics> HeldOut,
    string ThresholdRule);
