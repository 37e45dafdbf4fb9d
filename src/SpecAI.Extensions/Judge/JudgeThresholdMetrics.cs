namespace SpecAI.Extensions.Judge;

/// <summary>How a judge head does at one threshold on labelled tokens (a token is judge-accepted when its score exceeds the threshold).</summary>
/// <param name="Threshold">The threshold.</param>
/// <param name="Precision">Share of judge-accepted tokens that are labelled acceptable (NaN when none is accepted).</param>
/// <param name="Recall">Share of acceptable tokens the judge accepts (NaN when there are none).</param>
/// <param name="AcceptedShare">Share of all tokens the judge accepts.</param>
/// <param name="BadAcceptance">Share of unacceptable tokens the judge accepts (false-positive rate; NaN when there are none).</param>
public readonly record struct JudgeThresholdMetrics(double Threshold, double Precision, double Recall, double AcceptedShare, double BadAcceptance);
