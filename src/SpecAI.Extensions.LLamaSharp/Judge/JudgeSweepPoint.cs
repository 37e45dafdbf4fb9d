namespace SpecAI.Extensions.Judge;

/// <summary>Speed and quality of one setting of a judge evaluation sweep (or of standard verification).</summary>
/// <param name="Threshold">The judge threshold; null for standard verification.</param>
/// <param name="IsDefault">Whether this is the head's default threshold.</param>
/// <param name="GeneratedTokens">Tokens generated over every prompt and sample.</param>
/// <param name="TargetCalls">Target verification calls.</param>
/// <param name="DraftedTokens">Drafted tokens.</param>
/// <param name="AcceptedTokens">Accepted drafted tokens (judge-accepted included).</param>
/// <param name="JudgeAcceptedTokens">Drafted tokens kept only because the judge accepted them.</param>
/// <param name="TokensPerTargetCall">Generated tokens per target call.</param>
/// <param name="SpeedupVsStandard">Tokens per target call relative to standard verification.</param>
/// <param name="AcceptanceRate">Accepted per drafted token.</param>
/// <param name="JudgeAcceptedShare">Judge-accepted tokens per generated token.</param>
/// <param name="MeanLogLikelihood">The target's mean log-likelihood (temperature 1) of the generated tokens.</param>
/// <param name="LogLikelihoodStandardError">Standard error of <paramref name="MeanLogLikelihood"/> (generations as clusters).</param>
/// <param name="Quality">exp(mean log-likelihood - the standard run's): the per-token likelihood of the output relative to the target's own samples (1 = as likely).</param>
/// <param name="QualityStandardError">Approximate standard error of <paramref name="Quality"/>.</param>
/// <param name="QualityPerPosition">exp(mean over positions of log p(token) - E[log p(own sample)]): the same comparison made position by position in the output's own contexts.</param>
/// <param name="GoodSpanPrecision">On held-out labelled responses: share of tokens the judge accepts at this threshold that lie in good spans (null when it accepts none).</param>
/// <param name="GoodTokenAcceptance">On held-out labelled responses: share of good tokens the judge accepts (recall).</param>
/// <param name="BadTokenAcceptance">On held-out labelled responses: share of bad tokens the judge accepts.</param>
/// <param name="IdenticalToStandard">Whether every generation equals standard verification's at the same seed, token for token (reported for threshold 1).</param>
public sealed record JudgeSweepPoint(
    double? Threshold,
    bool IsDefault,
    long GeneratedTokens,
    long TargetCalls,
    long DraftedTokens,
    long AcceptedTokens,
    long JudgeAcceptedTokens,
    double TokensPerTargetCall,
    double SpeedupVsStandard,
    double AcceptanceRate,
    double JudgeAcceptedShare,
    double MeanLogLikelihood,
    double LogLikelihoodStandardError,
    double Quality,
    double QualityStandardError,
    double QualityPerPosition,
    double? GoodSpanPrecision,
    double? GoodTokenAcceptance,
    double? BadTokenAcceptance,
    bool? IdenticalToStandard);
