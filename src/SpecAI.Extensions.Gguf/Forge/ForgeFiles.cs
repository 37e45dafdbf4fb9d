namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>How the forges publish a model pair: written under temporary names, then renamed, so concurrent callers never see half-written files.</summary>
internal static class ForgeFiles
{
    /// <summary>
    /// Calls <paramref name="write"/> with temporary target and draft paths, then renames the draft and the target into
    /// place and, when <paramref name="stamp"/> is given, writes <paramref name="stampText"/> there last (so a stamp
    /// vouches for both files). Temporary files are removed whatever happens.
    /// </summary>
    /// <returns>What <paramref name="write"/> returned (its paths still name the temporary files).</returns>
    public static T WritePair<T>(string target, string draft, Func<string, string, T> write, string? stamp = null, string? stampText = null)
    {
        string tag = Guid.NewGuid().ToString("N");
        string tmpTarget = $"{target}.{tag}.tmp", tmpDraft = $"{draft}.{tag}.tmp";
        string? tmpStamp = stamp is null ? null : $"{stamp}.{tag}.tmp";
        try
        {
            T pair = write(tmpTarget, tmpDraft);
            File.Move(tmpDraft, draft, overwrite: true);
            File.Move(tmpTarget, target, overwrite: true);
            if (stamp is not null)
            {
                File.WriteAllText(tmpStamp!, stampText);
                File.Move(tmpStamp!, stamp, overwrite: true);
            }

            return pair;
        }
        finally
        {
            File.Delete(tmpTarget);
            File.Delete(tmpDraft);
            if (tmpStamp is not null)
            {
                File.Delete(tmpStamp);
            }
        }
    }
}
