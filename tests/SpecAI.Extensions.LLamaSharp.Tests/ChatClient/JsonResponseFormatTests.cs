using System.Text.Json;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

namespace SpecAI.Extensions.LLamaSharp.Tests.ChatClient;

public sealed class JsonResponseFormatTests : IDisposable
{
    private const string Schema = """
        {
          "type": "object",
          "properties": {
            "mood": { "type": "string", "enum": ["happy", "sad", "angry"] },
            "done": { "type": "boolean" }
          },
          "required": ["mood", "done"],
          "additionalProperties": false
        }
        """;

    private readonly SpeculativeChatClient _client = StoriesClients.Create(TestModels.StoriesQ4, contextSize: 1024);

    public void Dispose() => _client.Dispose();

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(1.0, 2)]
    [InlineData(1.0, 3)]
    public async Task JsonSchemaFormat_AlwaysParsesAndMatches_WithDraftsAccepted(double temperature, int seed)
    {
        long acceptedBefore = _client.Statistics.AcceptedTokens;
        var response = await _client.GetResponseAsync(StoriesClients.Prompt("Lily felt"), new ChatOptions
        {
            Temperature = (float)temperature,
            Seed = seed,
            MaxOutputTokens = 300,
            ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(Schema).RootElement, "mood"),
        });

        using var document = JsonDocument.Parse(response.Text);
        Assert.Contains(document.RootElement.GetProperty("mood").GetString(), new[] { "happy", "sad", "angry" });
        Assert.True(document.RootElement.GetProperty("done").ValueKind is JsonValueKind.True or JsonValueKind.False);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.True(response.Usage!.AdditionalCounts![SpeculativeChatOptionKeys.AcceptedTokens] > 0, "drafts are accepted under the grammar");
        Assert.True(_client.Statistics.AcceptedTokens > acceptedBefore);
    }

    [Fact]
    public async Task JsonFormat_WithoutSchema_ProducesAnObject()
    {
        var response = await _client.GetResponseAsync(StoriesClients.Prompt("Tom said"), new ChatOptions
        {
            Temperature = 0,
            MaxOutputTokens = 300,
            ResponseFormat = ChatResponseFormat.Json,
            AdditionalProperties = new() { ["unused"] = 1 },
        });

        if (response.FinishReason == ChatFinishReason.Stop)
        {
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(response.Text).RootElement.ValueKind);
        }
        else
        {
            // Cut by the token limit: what was written is still a valid JSON prefix.
            Assert.True(Constraints.JsonTokenConstraint.IsValidPrefix(response.Text), response.Text);
        }
    }
}
