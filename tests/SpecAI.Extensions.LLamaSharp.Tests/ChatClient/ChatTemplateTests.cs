using Microsoft.Extensions.AI;
using SpecAI.Extensions.Gguf.Forge;

namespace SpecAI.Extensions.LLamaSharp.Tests.ChatClient;

/// <summary>A generated model with a ChatML template in its GGUF: the template, its special tokens and its end of turn.</summary>
public sealed class ChatTemplateTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "specai-chat-" + Guid.NewGuid().ToString("N"));
    private readonly SpeculativeChatClient _client;
    private readonly List<float> _progress = new();

    public ChatTemplateTests()
    {
        var family = LlamaModelForge.GetOrCreateFamily(_folder, LlamaFamilyOptions.ChatTiny);
        _client = new SpeculativeChatClient(new SpeculativeChatClientOptions
        {
            TargetModelPath = family.TargetPath,
            DraftModelPath = family.DraftPath,
            ContextSize = 1024,
            Threads = 1,
            BatchSize = 128,
            LoadProgress = new SynchronousProgress(_progress),
        });
    }

    public void Dispose()
    {
        _client.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void Prompt_UsesTheGgufTemplate_WithSpecialTokensAsSingleTokens()
    {
        int[] tokens = _client.TokenizePrompt([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "Hi")], new ChatOptions { Instructions = "Answer in English." });
        var texts = tokens.Select(t => _client.TokenTexts[t]).ToArray();

        // <|im_start|> and <|im_end|> are control tokens (empty text), one token each: the system turn (messages and
        // instructions merged), the user turn, and the open assistant turn.
        int controls = texts.Count(t => t.Length == 0);
        Assert.True(controls >= 5, $"expected the template's control tokens, got {controls} in [{string.Join("|", texts)}]");
        string visible = string.Concat(texts);
        Assert.Contains("Be brief.", visible);
        Assert.Contains("Answer in English.", visible);
        Assert.EndsWith("assistant\n", visible);
    }

    [Fact]
    public async Task Answer_StopsAtEndOfTurn_WithStopFinishReason_AndNeverShowsControlText()
    {
        int stops = 0;
        for (int seed = 0; seed < 6; seed++)
        {
            var response = await _client.GetResponseAsync("Hello", new ChatOptions { Temperature = 1, Seed = seed, MaxOutputTokens = 400 });
            Assert.DoesNotContain("<|im_end|>", response.Text);
            if (response.FinishReason == ChatFinishReason.Stop)
            {
                stops++;
                Assert.True(response.Usage!.OutputTokenCount < 400);
            }
        }

        Assert.True(stops > 0, "the forged model ends turns with <|im_end|> now and then");
    }

    [Fact]
    public void LoadProgress_ReachesOne()
    {
        lock (_progress)
        {
            Assert.NotEmpty(_progress);
            Assert.Equal(1f, _progress.Max(), 3);
        }
    }

    private sealed class SynchronousProgress(List<float> values) : IProgress<float>
    {
        public void Report(float value)
        {
            lock (values)
            {
                values.Add(value);
            }
        }
    }
}
