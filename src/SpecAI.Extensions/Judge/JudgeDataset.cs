using System.Text;
using System.Text.Json;

namespace SpecAI.Extensions.Judge;

/// <summary>
/// Reads judge training data: JSON Lines, one object per line, in either form
/// <list type="bullet">
/// <item><c>{ "prompt": "...", "response": "...", "bad_spans": [[start, end], ...] }</c>: character spans of the response
/// that are wrong (end exclusive; indices count Unicode code points, as Python's <c>str</c> does; <c>bad_spans</c> may be
/// omitted or empty for an all-good response);</item>
/// <item><c>{ "prompt": "...", "tokens": [{ "text": "...", "ok": true }, ...] }</c>: the response as labelled pieces, in
/// order; the response is their concatenation and the pieces with <c>"ok": false</c> are its bad spans. The pieces need
/// not be the model's tokens.</item>
/// </list>
/// Blank lines are skipped; other fields are ignored (room for notes).
/// </summary>
public static class JudgeDataset
{
    /// <summary>Reads a JSON Lines file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The rows, in file order.</returns>
    /// <exception cref="InvalidDataException">A line is not a valid row; the message names the file and line.</exception>
    public static IReadOnlyList<JudgeLabelledResponse> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Parse(reader, path);
    }

    /// <summary>Reads JSON Lines from a reader.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="source">Name used in error messages.</param>
    /// <returns>The rows, in order.</returns>
    /// <exception cref="InvalidDataException">A line is not a valid row; the message names the source and line.</exception>
    public static IReadOnlyList<JudgeLabelledResponse> Parse(TextReader reader, string source = "judge data")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var rows = new List<JudgeLabelledResponse>();
        int line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(text);
                rows.Add(ParseRow(document.RootElement, line));
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{source}:{line}: not valid JSON ({ex.Message}).", ex);
            }
            catch (FormatException ex)
            {
                throw new InvalidDataException($"{source}:{line}: {ex.Message}", ex);
            }
        }

        return rows;
    }

    /// <summary>
    /// The group of each row for held-out splits: rows with the same prompt share one (variants of one story must not
    /// sit on both sides of a split). Groups are numbered 0, 1, ... in order of first appearance.
    /// </summary>
    /// <param name="rows">The rows.</param>
    /// <returns>One group per row.</returns>
    public static int[] Groups(IReadOnlyList<JudgeLabelledResponse> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        return rows.Select(r => ids.TryGetValue(r.Prompt, out int id) ? id : ids[r.Prompt] = ids.Count).ToArray();
    }

    private static JudgeLabelledResponse ParseRow(JsonElement row, int line)
    {
        if (row.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("each line must be a JSON object.");
        }

        string prompt = row.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String
            ? p.GetString()!
            : throw new FormatException("\"prompt\" (a string) is required.");
        bool hasResponse = row.TryGetProperty("response", out var response);
        bool hasTokens = row.TryGetProperty("tokens", out var tokens);
        if (hasResponse == hasTokens)
        {
            throw new FormatException("give either \"response\" (with \"bad_spans\") or \"tokens\", not both or neither.");
        }

        return hasTokens ? FromTokens(prompt, tokens, line) : FromSpans(prompt, response, row, line);
    }

    private static JudgeLabelledResponse FromSpans(string prompt, JsonElement response, JsonElement row, int line)
    {
        string text = response.ValueKind == JsonValueKind.String ? response.GetString()! : throw new FormatException("\"response\" must be a string.");
        var spans = new List<JudgeSpan>();
        if (row.TryGetProperty("bad_spans", out var bad) && bad.ValueKind != JsonValueKind.Null)
        {
            if (bad.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("\"bad_spans\" must be an array of [start, end] pairs.");
            }

            int codePoints = CountCodePoints(text);
            foreach (var pair in bad.EnumerateArray())
            {
                if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2
                    || !pair[0].TryGetInt32(out int start) || !pair[1].TryGetInt32(out int end))
                {
                    throw new FormatException($"bad span {pair.GetRawText()} is not an [start, end] pair of integers.");
                }

                if (start < 0 || end <= start || end > codePoints)
                {
                    throw new FormatException($"bad span [{start}, {end}] is outside the response's {codePoints} characters or empty.");
                }

                spans.Add(new JudgeSpan(ToUtf16Index(text, start), ToUtf16Index(text, end)));
            }
        }

        return new JudgeLabelledResponse(prompt, text, spans, line);
    }

    private static JudgeLabelledResponse FromTokens(string prompt, JsonElement tokens, int line)
    {
        if (tokens.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("\"tokens\" must be an array of { \"text\": string, \"ok\": bool } objects.");
        }

        var text = new StringBuilder();
        var spans = new List<JudgeSpan>();
        foreach (var piece in tokens.EnumerateArray())
        {
            if (piece.ValueKind != JsonValueKind.Object
                || !piece.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String
                || !piece.TryGetProperty("ok", out var ok) || ok.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw new FormatException($"token {piece.GetRawText()} must be {{ \"text\": string, \"ok\": true|false }}.");
            }

            int start = text.Length;
            text.Append(t.GetString());
            if (!ok.GetBoolean() && text.Length > start)
            {
                // Adjacent bad pieces form one span.
                if (spans.Count > 0 && spans[^1].End == start)
                {
                    spans[^1] = spans[^1] with { End = text.Length };
                }
                else
                {
                    spans.Add(new JudgeSpan(start, text.Length));
                }
            }
        }

        return new JudgeLabelledResponse(prompt, text.ToString(), spans, line);
    }

    private static int CountCodePoints(string text)
    {
        int count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    private static int ToUtf16Index(string text, int codePoint)
    {
        int index = 0, seen = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (seen == codePoint)
            {
                return index;
            }

            index += rune.Utf16SequenceLength;
            seen++;
        }

        return index;
    }
}
