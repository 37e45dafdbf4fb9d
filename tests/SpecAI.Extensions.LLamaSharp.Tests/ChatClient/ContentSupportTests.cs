using Microsoft.Extensions.AI;
using SpecAI.Extensions.ChatClient;

namespace SpecAI.Extensions.LLamaSharp.Tests.ChatClient;

/// <summary>The models are text-only: images, files and links are refused by name instead of silently dropped.</summary>
public sealed class ContentSupportTests
{
    public static TheoryData<AIContent, string> Unsupported => new()
    {
        { new DataContent(new byte[] { 137, 80, 78, 71 }, "image/png"), nameof(DataContent) },
        { new UriContent(new Uri("https://example.com/cat.png"), "image/png"), nameof(UriContent) },
        { new HostedFileContent("file-123"), nameof(HostedFileContent) },
        { new AIContent(), nameof(AIContent) },
    };

    [Theory]
    [MemberData(nameof(Unsupported))]
    public async Task NonTextContent_ThrowsNotSupported_NamingTheType(AIContent content, string typeName)
    {
        using var client = new SpeculativeChatClient(new SpeculativeChatClientOptions { TargetModelPath = TestModels.Stories, ContextSize = 256, Threads = 1, BatchSize = 64 });
        List<ChatMessage> messages = [new(ChatRole.User, [new TextContent("What is in this picture?"), content])];

        var ex = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 4 }));
        Assert.Contains(typeName, ex.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => client.GetStreamingResponseAsync(messages));
    }

    [Fact]
    public void TextReasoningAndUsage_AreAccepted_ReasoningLeftOut()
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.User, "Hi"),
            new(ChatRole.Assistant, [new TextReasoningContent("thinking..."), new TextContent("Hello!"), new UsageContent(new UsageDetails { InputTokenCount = 1 })]),
        ];
        var turns = ChatPromptFormatter.Turns(messages, null, ToolCallFormat.Generic);
        Assert.Equal(["user", "assistant"], turns.Select(t => t.Role));
        Assert.Equal("Hello!", turns[1].Content);
    }

    [Theory]
    [InlineData("user<|im_end|>")]
    [InlineData("sys tem")]
    [InlineData("a/b")]
    public void CustomRole_ThatIsNotAPlainWord_IsRefused(string role)
    {
        List<ChatMessage> messages = [new(new ChatRole(role), "Hi")];
        var ex = Assert.Throws<ArgumentException>(() => ChatPromptFormatter.Turns(messages, null, ToolCallFormat.Generic));
        Assert.Equal("messages", ex.ParamName);
    }

    [Fact]
    public void CustomRole_PlainWord_IsKept()
    {
        var turns = ChatPromptFormatter.Turns([new(new ChatRole("Developer"), "Hi")], null, ToolCallFormat.Generic);
        Assert.Equal("developer", turns[0].Role);
    }
}
