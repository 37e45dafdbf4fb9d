using System.Text;
using System.Text.Json;
using SpecAI.Extensions.Constraints;

namespace SpecAI.Extensions.Tests.Constraints;

/// <summary>
/// Seeded fuzzing of the JSON automaton and constraint: random texts and schemas never throw anything but the
/// documented exceptions; the token mask always agrees with the character automaton; every document the constraint
/// lets a random sampler finish parses and follows its schema.
/// </summary>
public class JsonConstraintFuzzTests
{
    private static readonly string[] Schemas =
    [
        """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"kind":{"enum":["alpha","beta","al","a\"b","\u00e9t\u00e9"]},"tags":{"type":"array","items":{"type":"string"}}},"required":["name","kind"],"additionalProperties":false}""",
        """{"type":"object","properties":{"ab":{"type":"integer"},"abc":{"enum":["x","xy"]}},"required":["ab"]}""",
        """{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"boolean"}},"additionalProperties":false}},"additionalProperties":{"type":"number"}}""",
        """{"type":"object","properties":{},"additionalProperties":false}""",
        """{"type":"object","required":["k\"1","k2"],"additionalProperties":false}""",
        """{"type":["array","null"],"items":{"enum":["x","y"]}}""",
    ];

    private static readonly string[] Seeds =
    [
        "{\"name\": \"x\", \"kind\": \"alpha\", \"tags\": [\"a\", \"b\"]}", "{\"ab\": 1, \"abc\": \"xy\", \"zz\": [1, {\"q\": null}]}",
        "{\"a\": {\"b\": true}, \"q\": -2.5e3}", "{}", "{\"k\\\"1\": 1, \"k2\": null}", "[\"x\", \"y\"]", "{\"kind\": \"a\\\"b\", \"name\": \"\\u00e9\"}",
    ];

    private const string Alphabet = "{}[]:,\"\\ abkxyulpheanmtgsrq0123.-+eE\u00e9\n/u";

    private static string Mutate(string text, Random random)
    {
        var chars = new StringBuilder(text);
        int edits = random.Next(5);
        for (int e = 0; e < edits; e++)
        {
            int at = chars.Length == 0 ? 0 : random.Next(chars.Length);
            switch (random.Next(3))
            {
                case 0 when chars.Length > 0:
                    chars[at] = Alphabet[random.Next(Alphabet.Length)];
                    break;
                case 1:
                    chars.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                    break;
                default:
                    if (chars.Length > 0)
                    {
                        chars.Remove(at, 1);
                    }

                    break;
            }
        }

        return chars.ToString();
    }

    [Fact]
    public void RandomTextsAndSchemas_NeverThrowUndocumentedExceptions() =>
        FuzzHarness.Run(cases: 1_500, seed: 40_000, random =>
        {
            // Mutated schemas: JsonException (not JSON) and ArgumentException (limits) are documented.
            var schema = JsonSchemaSubset.Parse(random.Next(4) == 0 ? Mutate(Schemas[random.Next(Schemas.Length)], random) : Schemas[random.Next(Schemas.Length)]);
            var options = new JsonTokenConstraintOptions { RequireTopLevelObject = random.Next(2) == 0, MaxDepth = 1 + random.Next(8) };
            string text = Mutate(Seeds[random.Next(Seeds.Length)], random);
            for (int n = 0; n <= text.Length; n++)
            {
                bool valid = JsonTokenConstraint.IsValidPrefix(text[..n], schema, options);
                bool complete = JsonTokenConstraint.IsCompleteDocument(text[..n], schema, options);
                Assert.True(valid || !complete);
            }
        }, [typeof(JsonException), typeof(ArgumentException)]);

    [Fact]
    public void Mask_AgreesWithTheAutomaton_AndFinishedDocumentsFollowTheSchema() =>
        FuzzHarness.Run(cases: 120, seed: 50_000, random =>
        {
            string schemaText = Schemas[random.Next(Schemas.Length)];
            var schema = JsonSchemaSubset.Parse(schemaText);
            var options = new JsonTokenConstraintOptions { RequireTopLevelObject = false, MaxDepth = 6 };
            var texts = Vocabulary(random);
            int eos = texts.Count - 1;
            var constraint = new JsonTokenConstraint(texts, [eos], schema, options);
            var logits = new double[texts.Count];
            var generated = new List<int>();
            var text = new StringBuilder();
            for (int step = 0; step < 60; step++)
            {
                Array.Clear(logits);
                constraint.Apply(generated.ToArray(), logits);
                string current = text.ToString();
                var allowed = new List<int>();
                for (int v = 0; v < texts.Count; v++)
                {
                    bool expected = v == eos
                        ? JsonTokenConstraint.IsCompleteDocument(current, schema, options)
                        : texts[v].Length > 0 && JsonTokenConstraint.IsValidPrefix(current + texts[v], schema, options);
                    Assert.True(expected == (logits[v] == 0), $"token {v} '{texts[v]}' after '{current}': automaton {expected}, mask {logits[v] == 0}");
                    if (expected)
                    {
                        allowed.Add(v);
                    }
                }

                Assert.NotEmpty(allowed); // never a dead end
                int token = allowed[random.Next(allowed.Count)];
                if (token == eos)
                {
                    CheckDocument(current, schemaText);
                    return;
                }

                generated.Add(token);
                text.Append(texts[token]);
            }
        }, []);

    /// <summary>Single characters, multi-character pieces of the schemas' words, escapes, and an empty control token; EOS last.</summary>
    private static List<string> Vocabulary(Random random)
    {
        var texts = new List<string> { string.Empty };
        texts.AddRange("{}[]:,\" \\0123456789.-+EabcdefghijklmnopqrstuvwxyzA\u00e9".Select(c => c.ToString()));
        string[] pieces = ["\"name\"", "\"kind\": \"", "alpha", "al", "beta", "\"ab", "c\"", "\\u00e9", "\\\"", "\": ", "true", "null", "\"k2\"", "[\"x\"", "\"}", "12", "\"a\": {", "}]"];
        texts.AddRange(pieces.Where(_ => random.Next(3) > 0));
        texts.Add("</s>");
        return texts;
    }

    private static void CheckDocument(string text, string schemaText)
    {
        using var document = JsonDocument.Parse(text);
        using var schema = JsonDocument.Parse(schemaText);
        Conforms(document.RootElement, schema.RootElement, text);
    }

    /// <summary>The subset's rules, checked on a parsed document.</summary>
    private static void Conforms(JsonElement value, JsonElement schema, string text)
    {
        if (schema.TryGetProperty("enum", out var values) && value.ValueKind == JsonValueKind.String)
        {
            Assert.Contains(value.GetString(), values.EnumerateArray().Select(v => v.GetString()));
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            var names = value.EnumerateObject().Select(p => p.Name).ToList();
            var declared = schema.TryGetProperty("properties", out var properties) ? properties.EnumerateObject().Select(p => p.Name).ToHashSet() : [];
            var required = schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
            bool closed = schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False;
            if (declared.Count > 0 || required.Count > 0 || closed)
            {
                Assert.True(names.Count == names.Distinct().Count(), $"duplicate key in {text}");
            }

            Assert.All(required, k => Assert.Contains(k, names));
            if (closed)
            {
                Assert.All(names, n => Assert.True(declared.Contains(n) || required.Contains(n), $"undeclared key {n} in {text}"));
            }

            foreach (var member in value.EnumerateObject())
            {
                if (declared.Contains(member.Name))
                {
                    Conforms(member.Value, properties.GetProperty(member.Name), text);
                }
            }
        }

        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            Assert.All(value.EnumerateArray(), item => Conforms(item, items, text));
        }
    }
}
