namespace SpecAI.Extensions.Backend;

/// <summary>The native warnings and errors logged while it is open (the last 64), to explain a failed load.</summary>
internal sealed class NativeLogCapture(Action<NativeLogCapture> release) : IDisposable
{
    private const int Limit = 64;
    private readonly Queue<string> _lines = new();

    /// <summary>The lines captured so far, oldest first.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return _lines.ToArray();
            }
        }
    }

    public void Add(string message)
    {
        string line = message.Trim();
        if (line.Length == 0)
        {
            return;
        }

        lock (_lines)
        {
            if (_lines.Count == Limit)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line);
        }
    }

    public void Dispose() => release(this);
}
