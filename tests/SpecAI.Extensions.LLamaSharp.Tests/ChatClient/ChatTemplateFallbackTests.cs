using LLama;
using LLama.Common;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using SpecAI.Extensions.ChatClient;
using SpecAI.Extensions.ChatClient.Tools;
using SpecAI.Extensions.Gguf;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;
using SpecAI.Extensions.Testing;

namespace SpecAI.Extensions.LLamaSharp.Tests.ChatClient;

/// <summary>ChatML stands in when a GGUF has no chat template or one llama.cpp cannot apply; one warning per model load says so.</summary>
public sealed class ChatTemplateFallbackTests : IDisposable
{
    // llama.cpp recognises template families by their markers; this one has none of them.
    private const string UnknownTemplate = "{% for message in messages %}### {{ message['role'] }}: {{ message['content'] }}\n{% endfor %}";
    private const string ChatMlTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    private readonly string _folder = Directory.CreateTempSubdirectory("specai-template-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Client_TemplateLlamaCppCannotApply_WarnsOnceNamingTheModel_AndAnswersWithChatMl()
    {
        string path = WithTemplate(UnknownTemplate, "unknown-template.gguf");
        var logs = new CapturingLoggerFactory();
        using (var client = new SpeculativeChatClient(new SpeculativeChatClientOptions { TargetModelPath = path, ContextSize = 256, Threads = 1 }, logs))
        {
            for (int i = 0; i < 2; i++)
            {
                var response = await client.GetResponseAsync("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 4 });
                Assert.NotNull(response.Usage);
            }

            var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("template", StringComparison.Ordinal));
            Assert.Contains(client.Metadata.DefaultModelId!, warning.Message);
            Assert.Contains("cannot be applied (", warning.Message);
            Assert.Contains(logs.Messages, m => m.Contains("template ChatML fallback", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Formatter_TemplateLlamaCppCannotApply_UsesChatMlAndWarnsOnlyAtLoad()
    {
        var logs = new CapturingLoggerFactory();
        using var weights = Load(WithTemplate(UnknownTemplate, "unknown-template.gguf"));

        var formatter = new ChatPromptFormatter(weights, ToolCallFormat.Auto, logs.CreateLogger("test"), "my-model");
        var first = formatter.Format([new ChatMessage(ChatRole.User, "Hi")], null);
        formatter.Format([new ChatMessage(ChatRole.User, "Hello again")], null);

        Assert.True(formatter.HasTemplate);
        Assert.False(formatter.UsesTemplate);
        Assert.Contains(first, s => s.Text.Contains("<|im_start|>user", StringComparison.Ordinal));
        var warning = Assert.Single(logs.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("my-model", warning.Message);
    }

    [Fact]
    public void Formatter_NoTemplate_WarnsOnceThatChatMlIsUsed()
    {
        var logs = new CapturingLoggerFactory();
        using var weights = Load(TestModels.Stories);

        var formatter = new ChatPromptFormatter(weights, ToolCallFormat.Auto, logs.CreateLogger("test"), "stories");
        formatter.Format([new ChatMessage(ChatRole.User, "Hi")], null);

        Assert.False(formatter.UsesTemplate);
        var warning = Assert.Single(logs.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("stories", warning.Message);
        Assert.Contains("no chat template", warning.Message);
    }

    [Fact]
    public void Formatter_TemplateLlamaCppKnows_UsesItSilently()
    {
        var logs = new CapturingLoggerFactory();
        using var weights = Load(WithTemplate(ChatMlTemplate, "chatml-template.gguf"));

        var formatter = new ChatPromptFormatter(weights, ToolCallFormat.Auto, logs.CreateLogger("test"), "chatml");
        var segments = formatter.Format([new ChatMessage(ChatRole.User, "Hi")], null);

        Assert.True(formatter.UsesTemplate);
        Assert.Empty(logs.Entries);
        Assert.Contains(segments, s => s.Text == "Hi");
    }

    private static LLamaWeights Load(string path) => LLamaWeights.LoadFromFile(new ModelParams(path) { ContextSize = 64 });

    /// <summary>stories260K with <c>tokenizer.chat_template</c> set.</summary>
    private string WithTemplate(string template, string name)
    {
        var source = GgufReader.Read(TestModels.Stories);
        var writer = new GgufWriter();
        foreach (var (key, value) in source.Header.MetadataList)
        {
            writer.SetMetadata(key, value);
        }

        writer.SetMetadata("tokenizer.chat_template", GgufValue.FromString(template));
        foreach (var tensor in source.Tensors)
        {
            writer.AddTensor(tensor);
        }

        string path = Path.Combine(_folder, name);
        writer.Write(path);
        return path;
    }
}
