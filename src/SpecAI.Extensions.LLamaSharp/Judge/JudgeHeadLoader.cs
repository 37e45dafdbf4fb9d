using Microsoft.Extensions.Logging;
using SpecAI.Extensions.Backend;

namespace SpecAI.Extensions.Judge;

/// <summary>Loads a judge head for a target and checks that it was trained for it.</summary>
internal static class JudgeHeadLoader
{
    /// <summary>Loads <paramref name="path"/>; null when no path is set.</summary>
    /// <exception cref="JudgeHeadMismatchException">The head was trained for another model.</exception>
    /// <exception cref="InvalidDataException">Not a valid head file, or an unbound head of the wrong hidden size.</exception>
    public static JudgeHead? Load(string? path, LLamaModelSession target, ILogger logger)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        var head = JudgeHead.Load(path);
        var fingerprint = LLamaJudgeFingerprint.Of(target.Weights, target.Path);
        head.EnsureMatches(fingerprint, path);
        if (head.Target is null)
        {
            logger.LogWarning(
                "Judge head {Path} (format SPJH v{Version}) carries no target fingerprint, so it is not checked against target {Target}; only its hidden size ({Size}) matches. Retrain with `specai judge train` to bind it.",
                path, head.FormatVersion, fingerprint, head.HiddenSize);
        }

        return head;
    }
}
