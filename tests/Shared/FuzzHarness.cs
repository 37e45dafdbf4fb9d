using System.Diagnostics;

namespace SpecAI.Extensions.Testing;

/// <summary>
/// Seeded fuzzing with bounds: every case must end within a time limit, allocate less than a byte limit, and either
/// succeed or throw one of the allowed exception types. CI runs a few seconds' worth; set
/// <c>SPECAI_FUZZ_SCALE</c> (e.g. 100) for a longer run.
/// </summary>
internal static class FuzzHarness
{
    /// <summary>The multiplier from SPECAI_FUZZ_SCALE (default 1).</summary>
    public static int Scale => int.TryParse(Environment.GetEnvironmentVariable("SPECAI_FUZZ_SCALE"), out int scale) && scale > 0 ? scale : 1;

    /// <summary>Runs <paramref name="cases"/> x <see cref="Scale"/> cases, case i seeded with <paramref name="seed"/> + i.</summary>
    /// <param name="cases">Cases at scale 1.</param>
    /// <param name="seed">Base seed (a failure names the case seed, so it can be replayed).</param>
    /// <param name="run">One case: gets its own seeded random source.</param>
    /// <param name="allowed">Exception types a case may end with (besides success).</param>
    /// <param name="caseLimit">Time one case may take (generous: CI machines are loaded).</param>
    /// <param name="allocationLimit">Bytes one case may allocate.</param>
    public static void Run(int cases, int seed, Action<Random> run, Type[] allowed, TimeSpan? caseLimit = null, long allocationLimit = 256L << 20)
    {
        var limit = caseLimit ?? TimeSpan.FromSeconds(2);
        int total = cases * Scale;
        int current = -1;
        long caseStarted = Stopwatch.GetTimestamp();
        string? failure = null;
        var worker = Task.Factory.StartNew(
            () =>
            {
                for (int i = 0; i < total && failure is null; i++)
                {
                    Volatile.Write(ref current, i);
                    Volatile.Write(ref caseStarted, Stopwatch.GetTimestamp());
                    long allocated = GC.GetAllocatedBytesForCurrentThread();
                    var clock = Stopwatch.StartNew();
                    try
                    {
                        run(new Random(seed + i));
                    }
                    catch (Exception e) when (allowed.Any(t => t.IsInstanceOfType(e)))
                    {
                    }
                    catch (Exception e)
                    {
                        failure = $"case seed {seed + i}: unexpected {e.GetType().Name}: {e}";
                        break;
                    }

                    long used = GC.GetAllocatedBytesForCurrentThread() - allocated;
                    if (clock.Elapsed > limit)
                    {
                        failure = $"case seed {seed + i} took {clock.Elapsed.TotalMilliseconds:F0} ms (limit {limit.TotalMilliseconds:F0} ms)";
                    }
                    else if (used > allocationLimit)
                    {
                        failure = $"case seed {seed + i} allocated {used:N0} bytes (limit {allocationLimit:N0})";
                    }
                }
            },
            TaskCreationOptions.LongRunning);

        // A hang leaves the worker running but fails the test once one case runs five times its limit.
        while (!worker.Wait(TimeSpan.FromMilliseconds(100)))
        {
            if (Stopwatch.GetElapsedTime(Volatile.Read(ref caseStarted)) > 5 * limit)
            {
                Assert.Fail($"fuzzing hung at case seed {seed + Volatile.Read(ref current)} (over {5 * limit.TotalSeconds:F0} s)");
            }
        }

        if (failure is not null)
        {
            Assert.Fail(failure);
        }
    }
}
