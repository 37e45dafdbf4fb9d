using System.Threading.Channels;

namespace SpecAI.Extensions.Engine;

/// <summary>A request as the scheduler tracks it: the engine's state, the caller's channel, and how the caller may have left.</summary>
internal sealed class ScheduledRequest
{
    private readonly Channel<int> _output = Channel.CreateUnbounded<int>(new UnboundedChannelOptions
    {
        SingleReader = false, // the single-reader channel cannot count its unread items
        SingleWriter = true,
        AllowSynchronousContinuations = false,
    });

    private readonly WeakReference _consumer;
    private readonly Action _wake;
    private volatile bool _cancelled;
    private volatile bool _paused;

    public ScheduledRequest(GenerationRequest request, object consumer, Action wake)
    {
        Request = request;
        _consumer = new WeakReference(consumer);
        _wake = wake;
    }

    public GenerationRequest Request { get; }

    public ChannelReader<int> Reader => _output.Reader;

    /// <summary>Whether the caller cancelled or stopped reading (disposed the stream).</summary>
    public bool IsCancelled => _cancelled;

    /// <summary>Whether the caller dropped the stream without disposing it (its enumerator was collected).</summary>
    public bool IsAbandoned => !_consumer.IsAlive;

    /// <summary>Tokens written and not yet read.</summary>
    public int Unread => _output.Reader.Count;

    /// <summary>Whether the request waits for its caller to read (set by the scheduler thread).</summary>
    public bool Paused
    {
        get => _paused;
        set => _paused = value;
    }

    /// <summary>Called by the caller: stop generating (cancellation, or the stream was disposed early).</summary>
    public void Cancel()
    {
        _cancelled = true;
        _wake();
    }

    /// <summary>Called by the caller after reading: a paused request may go on.</summary>
    public void OnRead()
    {
        if (_paused)
        {
            _wake();
        }
    }

    public void Write(int token) => _output.Writer.TryWrite(token);

    public void Complete(Exception? error = null) => _output.Writer.TryComplete(error);
}
