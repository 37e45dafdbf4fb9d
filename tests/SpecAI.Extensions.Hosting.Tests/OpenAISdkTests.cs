using System.Text;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using SpecAI.Extensions.Hosting.Tests.TestSupport;

namespace SpecAI.Extensions.Hosting.Tests;

/// <summary>The official OpenAI .NET SDK against the server over stories260K with a Q4_0 draft.</summary>
[Collection(StoriesServerCollection.Name)]
public sealed class OpenAISdkTests(StoriesServer fixture)
{
    private const string Prompt = "Once upon a time, there was a little girl named Lily.";

    [Fact]
    public async Task Completion_EqualsInProcessAnswer_WithUsageAndPredictionTokens()
    {
        ChatCompletion completion = await fixture.Server.OpenAIChatClient().CompleteChatAsync(
            [new UserChatMessage(Prompt)], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 40 });
        var local = await fixture.Client.GetResponseAsync(Prompt, new ChatOptions { Temperature = 0, MaxOutputTokens = 40 });

        Assert.Equal(local.Text, completion.Content[0].Text);
        Assert.Equal("stories260K", completion.Model);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(local.Usage!.InputTokenCount, completion.Usage.InputTokenCount);
        Assert.Equal(40, completion.Usage.OutputTokenCount);
        long accepted = local.Usage.AdditionalCounts![SpeculativeChatOptionKeys.AcceptedTokens];
        long drafted = local.Usage.AdditionalCounts[SpeculativeChatOptionKeys.DraftedTokens];
        Assert.True(accepted > 0 && drafted > accepted, $"accepted {accepted} of {drafted}");
        Assert.Equal(accepted, completion.Usage.OutputTokenDetails.AcceptedPredictionTokenCount);
        Assert.Equal(drafted - accepted, completion.Usage.OutputTokenDetails.RejectedPredictionTokenCount);
    }

    [Fact]
    public async Task Streaming_EqualsNonStreaming_AtTemperatureZero_UsageInTheLastChunk()
    {
        var client = fixture.Server.OpenAIChatClient();
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 48 };
        ChatCompletion whole = await client.CompleteChatAsync([new UserChatMessage(Prompt)], options);

        var text = new StringBuilder();
        var updates = new List<StreamingChatCompletionUpdate>();
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage(Prompt)], options))
        {
            updates.Add(update);
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        Assert.Equal(whole.Content[0].Text, text.ToString());
        Assert.True(updates.Count > 5, $"{updates.Count} chunks: the answer streams");
        var usage = updates[^1].Usage;
        Assert.NotNull(usage);
        Assert.All(updates.SkipLast(1), u => Assert.Null(u.Usage));
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.Equal(whole.Usage.OutputTokenDetails.AcceptedPredictionTokenCount, usage.OutputTokenDetails.AcceptedPredictionTokenCount);
        Assert.Equal(whole.Usage.OutputTokenDetails.RejectedPredictionTokenCount, usage.OutputTokenDetails.RejectedPredictionTokenCount);
        Assert.Contains(updates, u => u.FinishReason == OpenAI.Chat.ChatFinishReason.Length);
    }

    [Fact]
    public async Task PredictedOutput_SameAnswer_AcceptedAndRejectedReported()
    {
        var client = fixture.Server.OpenAIChatClient();
        ChatCompletionOptions Options(string? prediction)
        {
            var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 60 };
            options.Patch.Set("$.specai.mode"u8, "none");
            if (prediction is not null)
            {
                options.OutputPrediction = ChatOutputPrediction.CreateStaticContentPrediction(prediction);
            }

            return options;
        }

        ChatCompletion plain = await client.CompleteChatAsync([new UserChatMessage(Prompt)], Options(null));
        string answer = plain.Content[0].Text;
        Assert.Equal(0, plain.Usage.OutputTokenDetails.AcceptedPredictionTokenCount);

        // The exact answer as prediction, then the answer with its middle rewritten: the answer never changes.
        ChatCompletion exact = await client.CompleteChatAsync([new UserChatMessage(Prompt)], Options(answer));
        string edited = answer[..(answer.Length / 3)] + " The big red dog jumped over the moon. " + answer[(answer.Length / 2)..];
        ChatCompletion partial = await client.CompleteChatAsync([new UserChatMessage(Prompt)], Options(edited));

        Assert.Equal(answer, exact.Content[0].Text);
        Assert.Equal(answer, partial.Content[0].Text);
        Assert.True(exact.Usage.OutputTokenDetails.AcceptedPredictionTokenCount >= 40, $"exact prediction: {exact.Usage.OutputTokenDetails.AcceptedPredictionTokenCount} of 60 accepted");
        Assert.True(partial.Usage.OutputTokenDetails.AcceptedPredictionTokenCount > 0);
        Assert.True(partial.Usage.OutputTokenDetails.RejectedPredictionTokenCount > 0);
    }
}
