namespace SpecAI.Extensions.ChatClient;

/// <summary>
/// Streams text while holding back any tail that could still become a stop sequence, so the stop text
/// itself is never emitted.
/// </summary>
internal sealed class StopSequenceFilter
{
    private readonly IReadOnlyList<string> _stops;
    private readonly System.Text.StringBuilder _pending = new();

    public StopSequenceFilter(IReadOnlyList<string>? stops)
    {
        _stops = stops?.Where(s => !string.IsNullOrEmpty(s)).ToArray() ?? [];
    }

    public bool Stopped { get; private set; }

    /// <summary>Adds text; returns what can be emitted now.</summary>
    public string Push(string text)
    {
        if (Stopped)
        {
            return string.Empty;
        }

        _pending.Append(text);
        if (_stops.Count == 0)
        {
            return Flush();
        }

        string pending = _pending.ToString();
        int cut = -1;
        foreach (string stop in _stops)
        {
            int at = pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut))
            {
                cut = at;
            }
        }

        if (cut >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return pending[..cut];
        }

        int hold = 0;
        foreach (string stop in _stops)
        {
            for (int length = Math.Min(stop.Length - 1, pending.Length); length > hold; length--)
            {
                if (pending.AsSpan(pending.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    hold = length;
                    break;
                }
            }
        }

        _pending.Remove(0, pending.Length - hold);
        return pending[..^hold];
    }

    /// <summary>Emits whatever is held back (end of generation without a stop).</summary>
    public string Flush()
    {
        string rest = _pending.ToString();
        _pending.Clear();
        return rest;
    }
}
