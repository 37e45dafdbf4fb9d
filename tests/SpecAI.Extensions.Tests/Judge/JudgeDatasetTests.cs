using SpecAI.Extensions.Judge;

namespace SpecAI.Extensions.Tests.Judge;

public class JudgeDatasetTests
{
    [Fact]
    public void Parse_SpanAndTokenForms()
    {
        var rows = JudgeDataset.Parse(new StringReader(
            """
            {"prompt": "Tom had a ball.", "response": "He goed home.", "bad_spans": [[3, 7]], "note": "ignored"}

            {"prompt": "Tom had a ball.", "tokens": [{"text": "He ", "ok": true}, {"text": "goed", "ok": false}, {"text": " ho", "ok": false}, {"text": "me.", "ok": true}]}
            {"prompt": "A cat.", "response": "It sat."}
            """));
        Assert.Equal(3, rows.Count);
        Assert.Equal("He goed home.", rows[0].Response);
        Assert.Equal([new JudgeSpan(3, 7)], rows[0].BadSpans);
        Assert.Equal(1, rows[0].Line);
        Assert.Equal("He goed home.", rows[1].Response);
        Assert.Equal([new JudgeSpan(3, 10)], rows[1].BadSpans);
        Assert.Equal(3, rows[1].Line);
        Assert.Empty(rows[2].BadSpans);
        Assert.Equal([0, 0, 1], JudgeDataset.Groups(rows));
    }

    [Fact]
    public void Parse_SpansCountCodePoints()
    {
        // "🐱" is one code point (Python indices) but two UTF-16 units.
        var row = JudgeDataset.Parse(new StringReader("""{"prompt": "p", "response": "🐱 goed", "bad_spans": [[2, 6]]}""")).Single();
        Assert.Equal("goed", row.Response[row.BadSpans[0].Start..row.BadSpans[0].End]);
    }

    [Theory]
    [InlineData("""{"response": "x"}""", "\"prompt\"")]
    [InlineData("""{"prompt": "p"}""", "either")]
    [InlineData("""{"prompt": "p", "response": "x", "tokens": []}""", "either")]
    [InlineData("""{"prompt": "p", "response": "abc", "bad_spans": [[1, 9]]}""", "outside")]
    [InlineData("""{"prompt": "p", "response": "abc", "bad_spans": [[2, 2]]}""", "empty")]
    [InlineData("""{"prompt": "p", "response": "abc", "bad_spans": [[1]]}""", "pair")]
    [InlineData("""{"prompt": "p", "tokens": [{"text": "a"}]}""", "\"ok\"")]
    [InlineData("""[1, 2]""", "object")]
    [InlineData("""{"prompt": """, "JSON")]
    public void Parse_BadRow_NamesSourceAndLine(string line, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => JudgeDataset.Parse(new StringReader("\n" + line), "data.jsonl"));
        Assert.StartsWith("data.jsonl:2:", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void LabelTokens_TokenOverlappingABadSpan_IsUnacceptable()
    {
        var row = new JudgeLabelledResponse("p", "He goed home.", [new JudgeSpan(3, 7)]);

        // " He" | " go" | "ed" | " home" | "." as character ranges, plus an empty (partial UTF-8) token at 4.
        var labels = row.LabelTokens([new(0, 2), new(2, 5), new(4, 4), new(5, 7), new(7, 12), new(12, 13)]);
        Assert.Equal([true, false, false, false, true, true], labels);
    }
}
