namespace SpecAI.Extensions.Backend;

/// <summary>
/// Passes progress on but drops whatever the receiver throws: llama.cpp reports load progress from a native
/// callback, and an exception must never unwind through native frames (nor fail a load that is going fine).
/// </summary>
internal sealed class GuardedProgress : IProgress<float>
{
    private readonly IProgress<float> _inner;

    private GuardedProgress(IProgress<float> inner) => _inner = inner;

    /// <summary>The guarded receiver; null stays null.</summary>
    public static IProgress<float>? Wrap(IProgress<float>? inner) =>
        inner is null or GuardedProgress ? inner : new GuardedProgress(inner);

    public void Report(float value)
    {
        try
        {
            _inner.Report(value);
        }
        catch
        {
            // Dropped on purpose (see the summary).
        }
    }
}
