using System.Text;

namespace SpecAI.Extensions.Engine;

/// <summary>
/// Decodes committed tokens and reports the token whose text completes a stop sequence. Only the tail that could
/// still be the start of a stop sequence is kept, so a sequence split over several tokens is found.
/// </summary>
internal sealed class StopSequenceMatcher
{
    private readonly ITokenTextDecoder _decoder;
    private readonly string[] _stops;
    private readonly int _keep;
    private readonly StringBuilder _tail = new();

    public StopSequenceMatcher(ITokenTextDecoder decoder, IReadOnlyList<string> stops)
    {
        _decoder = decoder;
        _stops = stops.Where(s => !string.IsNullOrEmpty(s)).ToArray();
        _keep = _stops.Length == 0 ? 0 : _stops.Max(s => s.Length) - 1;
    }

    /// <summary>Adds a committed token; returns whether the text so far now contains a stop sequence.</summary>
    public bool Add(int token)
    {
        _decoder.Add(token);
        string text = _decoder.Read();
        if (text.Length == 0)
        {
            return false;
        }

        _tail.Append(text);
        string tail = _tail.ToString();
        foreach (string stop in _stops)
        {
            if (tail.Contains(stop, StringComparison.Ordinal))
            {
                return true;
            }
        }

        if (_tail.Length > _keep)
        {
            _tail.Remove(0, _tail.Length - _keep);
        }

        return false;
    }
}
