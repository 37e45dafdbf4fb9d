using System.Runtime.CompilerServices;

namespace SpecAI.Extensions.Engine;

/// <summary>
/// Serves many callers from one <see cref="SpeculativeEngine"/>: a dedicated thread owns the models and makes
/// every native call (loading, decoding, KV edits), so one OpenMP team serves target and draft; every tick
/// fuses all running requests into one target batch; callers read their tokens from their own channel.
/// </summary>
/// <remarks>
/// <para>Up to <see cref="GenerationSchedulerOptions.MaxConcurrentRequests"/> requests run at once; more wait
/// in a bounded queue (a full queue throws <see cref="RequestQueueFullException"/>), and a request also waits
/// until the KV cache has room for its prompt and answer. New requests join at the next tick; finished,
/// cancelled and abandoned requests free their sequences at once (their KV stays cached for prompt prefix
/// reuse until the room is needed).</para>
/// <para>No lock is held while caller code runs: a caller that reads slowly pauses only its own request, a
/// call from inside a stream just joins the next tick, and <see cref="Dispose"/> never waits for a caller.</para>
/// </remarks>
internal sealed partial class GenerationScheduler : IDisposable
{
    private static readonly TimeSpan PausedPoll = TimeSpan.FromMilliseconds(20);

    private readonly object _gate = new();
    private readonly Queue<ScheduledRequest> _queue = new();
    private readonly Queue<Action> _work = new();
    private readonly List<ScheduledRequest> _running = new();
    private readonly List<GenerationRequest> _runnable = new();
    private readonly List<IDisposable> _owned = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Thread _thread;
    private SpeculativeEngine? _engine;
    private volatile int _runningCount;
    private bool _stopping;

    /// <summary>Starts the scheduler's thread.</summary>
    /// <param name="options">Limits; validated and copied. Defaults when null.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public GenerationScheduler(GenerationSchedulerOptions? options = null)
    {
        options ??= new GenerationSchedulerOptions();
        options.Validate();
        Options = new GenerationSchedulerOptions
        {
            MaxConcurrentRequests = options.MaxConcurrentRequests,
            MaxQueuedRequests = options.MaxQueuedRequests,
            MaxUnreadTokens = options.MaxUnreadTokens,
            ThreadName = options.ThreadName,
        };
        _thread = new Thread(Loop) { IsBackground = true, Name = Options.ThreadName };
        _thread.Start();
    }

    /// <summary>The limits in effect.</summary>
    public GenerationSchedulerOptions Options { get; }

    /// <summary>Requests running now.</summary>
    public int RunningCount => _runningCount;

    /// <summary>Requests waiting for a slot.</summary>
    public int QueuedCount
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Whether <see cref="Dispose"/> was called.</summary>
    public bool IsDisposed
    {
        get
        {
            lock (_gate)
            {
                return _stopping;
            }
        }
    }

    /// <summary>Runs <paramref name="work"/> on the scheduler's thread between ticks (load models there, so that every native call comes from one thread).</summary>
    /// <typeparam name="T">Result type.</typeparam>
    /// <param name="work">The work.</param>
    /// <returns>Its result; its exception when it throws.</returns>
    /// <exception cref="ObjectDisposedException">The scheduler was disposed.</exception>
    public Task<T> InvokeAsync<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _work.Enqueue(() =>
            {
                try
                {
                    completion.SetResult(work());
                }
                catch (Exception ex)
                {
                    completion.SetException(ex);
                }
            });
        }

        _signal.Release();
        return completion.Task;
    }

    /// <summary>Sets the engine the requests run on (once; create its sessions through <see cref="InvokeAsync{T}"/>).</summary>
    /// <param name="engine">The engine.</param>
    /// <exception cref="InvalidOperationException">An engine is already attached.</exception>
    public void Attach(SpeculativeEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            if (Interlocked.CompareExchange(ref _engine, engine, null) is not null)
            {
                throw new InvalidOperationException("The scheduler already runs an engine.");
            }
        }
    }

    /// <summary>Hands a resource (a model session) to the scheduler, which disposes it on its thread when it stops, in reverse order.</summary>
    /// <param name="resource">The resource.</param>
    public void Own(IDisposable resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (_gate)
        {
            if (!_stopping)
            {
                _owned.Add(resource);
                return;
            }
        }

        // Already stopping: the thread may be gone, so free it here.
        resource.Dispose();
    }

    /// <summary>
    /// Queues a generation and streams its tokens as they are committed. Arguments are checked now; the
    /// request is queued when enumeration starts. Disposing the enumerator early cancels the request.
    /// </summary>
    /// <param name="prompt">Prompt tokens.</param>
    /// <param name="settings">Sampling, speculation and stopping settings.</param>
    /// <param name="statistics">Receives the request's counters while it runs.</param>
    /// <param name="cancellationToken">Cancels the request (the stream throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The generated tokens.</returns>
    /// <exception cref="ArgumentException">The prompt or settings are invalid.</exception>
    /// <exception cref="InvalidOperationException">No engine is attached.</exception>
    public IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> prompt, GenerationSettings settings, SpeculationStatistics statistics, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(statistics);
        return GenerateAsync(Resolve(prompt, settings), statistics, cancellationToken);
    }

    /// <summary>Resolves and validates a request against the attached engine's models (see <see cref="ResolvedRequest.Resolve"/>).</summary>
    /// <exception cref="InvalidOperationException">No engine is attached.</exception>
    internal ResolvedRequest Resolve(IReadOnlyList<int> prompt, GenerationSettings settings)
    {
        var engine = _engine ?? throw new InvalidOperationException("No engine is attached to the scheduler.");
        return engine.Resolve(prompt, settings);
    }

    /// <summary>Queues a resolved request as it is (no further validation) and streams its tokens; see the public overload.</summary>
    internal IAsyncEnumerable<int> GenerateAsync(ResolvedRequest request, SpeculationStatistics statistics, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return StreamAsync(SpeculativeEngine.CreateRequest(request, statistics), cancellationToken);
    }

    /// <summary>Cancels running requests, fails queued ones with <see cref="ObjectDisposedException"/>, frees the models on the scheduler's thread and stops it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
        }

        _signal.Release();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }

    private async IAsyncEnumerable<int> StreamAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Only this enumerator holds the token object: when a caller drops the stream without disposing it,
        // the scheduler sees the weak reference die and frees the request.
        var consumer = new object();
        var scheduled = new ScheduledRequest(request, consumer, Wake);
        Submit(scheduled);
        using var registration = cancellationToken.Register(static s => ((ScheduledRequest)s!).Cancel(), scheduled);

        // Always a cancellable token: with none, the channel parks its waiter in a reusable singleton that keeps
        // this enumerator reachable after it was dropped, and the abandoned request would never be noticed.
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (await scheduled.Reader.WaitToReadAsync(waiting.Token).ConfigureAwait(false))
            {
                while (scheduled.Reader.TryRead(out int token))
                {
                    yield return token;
                }

                scheduled.OnRead();
            }
        }
        finally
        {
            scheduled.Cancel();
            GC.KeepAlive(consumer);
        }
    }

    private void Submit(ScheduledRequest scheduled)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            if (_runningCount + _queue.Count >= Options.MaxConcurrentRequests + Options.MaxQueuedRequests)
            {
                throw new RequestQueueFullException($"{_runningCount} requests are running and {_queue.Count} are waiting (MaxConcurrentRequests {Options.MaxConcurrentRequests}, MaxQueuedRequests {Options.MaxQueuedRequests}); try again later.");
            }

            _queue.Enqueue(scheduled);
        }

        _signal.Release();
    }
}
