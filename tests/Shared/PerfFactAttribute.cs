namespace SpecAI.Extensions.Testing;

/// <summary>
/// A wall-clock test: skipped unless <c>SPECAI_PERF_TESTS=1</c>. Timings on a shared 2-core CI machine are noise, so
/// they are not part of the default suite; run them on a quiet machine when touching the code they time.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class PerfFactAttribute : FactAttribute
{
    public const string Variable = "SPECAI_PERF_TESTS";

    public PerfFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
        {
            Skip = $"wall-clock test: set {Variable}=1 to run it";
        }
    }
}
