using System.Text;
using LLama;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.ChatClient;
using SpecAI.Extensions.Gguf.Forge;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

namespace SpecAI.Extensions.LLamaSharp.Tests.ChatClient;

/// <summary>
/// Seeded random conversations: formatting never throws, content never adds a control token (the count equals that of
/// the same turns with plain contents), text without special-token spellings tokenizes exactly as the whole templated
/// text did before, and the template split reproduces llama.cpp's own output for random contents.
/// </summary>
public sealed class PromptFormattingFuzzTests
{
    private const string Plain = "ab é東🙂 \n\t\v{}\"[]:x";
    private const string Hostile = "<|im_start|><|im_end|></s><s><unk>[[specai-]]:0|\v";

    [Fact]
    public void RandomConversations_ContentNeverMakesControlTokens()
    {
        string folder = Path.Combine(Path.GetTempPath(), "specai-fuzz-" + Guid.NewGuid().ToString("N"));
        var family = LlamaModelForge.GetOrCreateFamily(folder, LlamaFamilyOptions.ChatTiny);
        try
        {
            using var chatMl = new SpeculativeChatClient(new SpeculativeChatClientOptions { TargetModelPath = family.TargetPath, ContextSize = 256, Threads = 1, BatchSize = 64 });
            using var stories = new SpeculativeChatClient(new SpeculativeChatClientOptions { TargetModelPath = TestModels.Stories, ContextSize = 256, Threads = 1, BatchSize = 64 });
            FuzzHarness.Run(cases: 150, seed: 120_000, random =>
            {
                var client = random.Next(2) == 0 ? chatMl : stories;
                bool hostile = random.Next(2) == 0;
                var (messages, options) = Conversation(random, hostile ? Plain + Hostile : Plain);
                int[] tokens = client.TokenizePrompt(messages, options);
                var (skeleton, skeletonOptions) = Skeleton(messages, options);
                Assert.Equal(Controls(client, client.TokenizePrompt(skeleton, skeletonOptions)), Controls(client, tokens));
                if (!hostile)
                {
                    Assert.Equal(PromptReference.Legacy(client, messages, options), tokens);
                }
            }, []);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void RandomContents_TemplateSplitReproducesTheTemplate() =>
        FuzzHarness.Run(cases: 600, seed: 130_000, random =>
        {
            string[] names = ["chatml", "llama3", "gemma", "mistral-v7", "llama2-sys-strip", "phi3", "command-r", "deepseek3", "exaone3", "minicpm"];
            string name = names[random.Next(names.Length)];
            string[] roles = ["system", "user", "assistant"];
            var turns = Enumerable.Range(0, 1 + random.Next(5)).Select(_ => new ChatTurn(roles[random.Next(roles.Length)], Text(random, Plain + Hostile, 12))).ToArray();
            var reference = new LLamaTemplate(name) { AddAssistant = true };
            foreach (var (role, content) in turns)
            {
                reference.Add(role, content);
            }

            var segments = TemplatePrompt.Render(new LLamaTemplate(name), turns);
            Assert.Equal(Encoding.UTF8.GetString(reference.Apply()), PromptSegment.Concat(segments));
        }, []);

    private static (List<ChatMessage>, ChatOptions?) Conversation(Random random, string alphabet)
    {
        var messages = new List<ChatMessage>();
        int count = 1 + random.Next(5);
        for (int i = 0; i < count; i++)
        {
            messages.Add(random.Next(6) switch
            {
                0 => new ChatMessage(ChatRole.System, Text(random, alphabet, 10)),
                1 => new ChatMessage(ChatRole.Assistant, [new TextContent(Text(random, alphabet, 8)), new FunctionCallContent("c" + i, "tool", new Dictionary<string, object?> { ["q"] = Text(random, alphabet, 6) })]),
                2 => new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c" + i, Text(random, alphabet, 10))]),
                3 => new ChatMessage(ChatRole.Assistant, Text(random, alphabet, 10)),
                _ => new ChatMessage(ChatRole.User, Text(random, alphabet, 12)),
            });
        }

        ChatOptions? options = random.Next(3) switch
        {
            0 => null,
            1 => new ChatOptions { Instructions = Text(random, alphabet, 8) },
            _ => new ChatOptions { Instructions = Text(random, alphabet, 4), Tools = [AIFunctionFactory.Create((string q) => q, "tool", Text(random, alphabet, 6))] },
        };
        return (messages, options);
    }

    /// <summary>The same turns with every content replaced by plain text.</summary>
    private static (List<ChatMessage>, ChatOptions?) Skeleton(List<ChatMessage> messages, ChatOptions? options) => (
        messages.Select(m => new ChatMessage(m.Role, m.Contents.Select(c => c switch
        {
            TextContent => (AIContent)new TextContent("x"),
            FunctionCallContent f => new FunctionCallContent(f.CallId, f.Name, new Dictionary<string, object?> { ["q"] = "x" }),
            FunctionResultContent r => new FunctionResultContent(r.CallId, "x"),
            _ => c,
        }).ToList())).ToList(),
        options is null ? null : new ChatOptions { Instructions = string.IsNullOrEmpty(options.Instructions) ? options.Instructions : "x", Tools = options.Tools is null ? null : [AIFunctionFactory.Create((string q) => q, "tool", "x")] });

    private static string Text(Random random, string alphabet, int maxPieces)
    {
        var text = new StringBuilder();
        int pieces = random.Next(maxPieces + 1);
        for (int i = 0; i < pieces; i++)
        {
            // Runs of the special spellings as well as single characters.
            text.Append(random.Next(4) == 0 && alphabet.Length > Plain.Length
                ? new[] { "<|im_start|>", "<|im_end|>", "</s>", "<s>", "<unk>" }[random.Next(5)]
                : Element(alphabet, random));
        }

        return text.ToString();
    }

    /// <summary>One whole character of <paramref name="alphabet"/> (never half of a surrogate pair).</summary>
    private static string Element(string alphabet, Random random)
    {
        var elements = System.Globalization.StringInfo.GetTextElementEnumerator(alphabet);
        var all = new List<string>();
        while (elements.MoveNext())
        {
            all.Add(elements.GetTextElement());
        }

        return all[random.Next(all.Count)];
    }

    private static int Controls(SpeculativeChatClient client, int[] tokens) => PromptReference.ControlTokens(client, tokens);
}
