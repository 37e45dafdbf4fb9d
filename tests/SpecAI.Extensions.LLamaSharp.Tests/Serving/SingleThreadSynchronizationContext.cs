using System.Collections.Concurrent;

namespace SpecAI.Extensions.LLamaSharp.Tests.Serving;

/// <summary>A UI-thread-like context: posted work runs only on its one thread, and only while that thread pumps.</summary>
internal sealed class SingleThreadSynchronizationContext : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = new();

    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("Synchronous sends are not supported.");

    /// <summary>Runs <paramref name="work"/> on a new thread that has this context, pumping posted work until it ends; fails after <paramref name="timeout"/> (a deadlock).</summary>
    public static void Run(Action work, TimeSpan timeout)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            using var context = new SingleThreadSynchronizationContext();
            SetSynchronizationContext(context);
            try
            {
                // The work blocks this thread the way a UI handler calling .Result would: nothing posted here runs meanwhile.
                work();
            }
            catch (Exception ex)
            {
                error = ex;
            }
        });
        thread.Start();
        if (!thread.Join(timeout))
        {
            throw new TimeoutException($"The work did not finish within {timeout} on a single-threaded synchronization context (deadlock).");
        }

        if (error is not null)
        {
            throw new AggregateException(error);
        }
    }

    public void Dispose() => _queue.Dispose();
}
