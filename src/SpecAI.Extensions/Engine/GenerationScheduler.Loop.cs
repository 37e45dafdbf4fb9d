namespace SpecAI.Extensions.Engine;

/// <content>The scheduler's thread: admit, step every runnable request in one fused batch, publish, reap.</content>
internal sealed partial class GenerationScheduler
{
    private void Wake() => _signal.Release();

    private void Loop()
    {
        while (true)
        {
            RunWork();
            lock (_gate)
            {
                if (_stopping)
                {
                    break;
                }
            }

            var engine = _engine;
            if (engine is null)
            {
                _signal.Wait();
                continue;
            }

            try
            {
                Tick(engine);
            }
            catch (Exception ex)
            {
                // A fault outside a step (a bug, or a native failure while freeing): no request may hang on it.
                FailAll(engine, ex);
            }
        }

        Shutdown();
    }

    private void Tick(SpeculativeEngine engine)
    {
        Reap(engine);
        Admit(engine);
        _runnable.Clear();
        bool paused = false;
        foreach (var scheduled in _running)
        {
            scheduled.Paused = scheduled.Unread >= Options.MaxUnreadTokens;
            paused |= scheduled.Paused;
            if (!scheduled.Paused)
            {
                _runnable.Add(scheduled.Request);
            }
        }

        if (_runnable.Count == 0)
        {
            _signal.Wait(paused ? PausedPoll : Timeout.InfiniteTimeSpan);
            return;
        }

        try
        {
            engine.Step(_runnable);
        }
        catch (Exception ex)
        {
            // A decode failed: the engine reset its caches; every request of this batch ends with the error.
            foreach (var request in _runnable)
            {
                request.Fail(ex);
            }
        }

        Publish(engine);
    }

    private void FailAll(SpeculativeEngine engine, Exception error)
    {
        foreach (var scheduled in _running)
        {
            scheduled.Complete(error);
            engine.Release(scheduled.Request, keepCache: false);
        }

        _running.Clear();
        engine.ResetCache();
        lock (_gate)
        {
            _runningCount = 0;
        }
    }

    private void RunWork()
    {
        while (true)
        {
            Action? work;
            lock (_gate)
            {
                if (!_work.TryDequeue(out work))
                {
                    return;
                }
            }

            work();
        }
    }

    /// <summary>Frees requests whose caller cancelled, stopped reading or dropped the stream.</summary>
    private void Reap(SpeculativeEngine engine)
    {
        for (int i = _running.Count - 1; i >= 0; i--)
        {
            var scheduled = _running[i];
            if (scheduled.IsCancelled || (scheduled.Paused && scheduled.IsAbandoned))
            {
                scheduled.Complete(new OperationCanceledException("The request was cancelled."));
                engine.Release(scheduled.Request, keepCache: true);
                _running.RemoveAt(i);
            }
        }

        lock (_gate)
        {
            int count = _queue.Count;
            for (int i = 0; i < count; i++)
            {
                var scheduled = _queue.Dequeue();
                if (scheduled.IsCancelled)
                {
                    scheduled.Complete(new OperationCanceledException("The request was cancelled before it started."));
                }
                else
                {
                    _queue.Enqueue(scheduled);
                }
            }

            _runningCount = _running.Count;
        }
    }

    /// <summary>Starts waiting requests, in order, while a slot is free and the KV cache has room for them.</summary>
    private void Admit(SpeculativeEngine engine)
    {
        while (_running.Count < Options.MaxConcurrentRequests)
        {
            ScheduledRequest? next;
            lock (_gate)
            {
                if (!_queue.TryPeek(out next))
                {
                    break;
                }
            }

            bool admitted;
            try
            {
                admitted = engine.TryAdmit(next.Request, _running.Select(r => r.Request));
            }
            catch (Exception ex)
            {
                lock (_gate)
                {
                    _queue.Dequeue();
                }

                next.Complete(ex);
                continue;
            }

            if (!admitted)
            {
                break;
            }

            lock (_gate)
            {
                _queue.Dequeue();
                _running.Add(next);
                _runningCount = _running.Count;
            }
        }
    }

    private void Publish(SpeculativeEngine engine)
    {
        for (int i = _running.Count - 1; i >= 0; i--)
        {
            var scheduled = _running[i];
            var request = scheduled.Request;
            while (request.TryTakeEmitted(out int token))
            {
                scheduled.Write(token);
            }

            if (request.IsFinished)
            {
                scheduled.Complete(request.Error);
                engine.Release(request, keepCache: request.Error is null);
                _running.RemoveAt(i);
            }
        }

        lock (_gate)
        {
            _runningCount = _running.Count;
        }
    }

    private void Shutdown()
    {
        var disposed = new ObjectDisposedException(nameof(GenerationScheduler), "The scheduler was disposed.");
        foreach (var scheduled in _running)
        {
            scheduled.Complete(disposed);
            _engine?.Release(scheduled.Request, keepCache: false);
        }

        _running.Clear();
        List<IDisposable> owned;
        lock (_gate)
        {
            while (_queue.TryDequeue(out var queued))
            {
                queued.Complete(disposed);
            }

            while (_work.TryDequeue(out var work))
            {
                work();
            }

            _runningCount = 0;
            owned = new List<IDisposable>(_owned);
            _owned.Clear();
        }

        for (int i = owned.Count - 1; i >= 0; i--)
        {
            owned[i].Dispose();
        }
    }
}
