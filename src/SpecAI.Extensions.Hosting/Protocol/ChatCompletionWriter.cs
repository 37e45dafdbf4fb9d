using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>Builds a whole (non-streamed) <c>chat.completion</c> object.</summary>
internal static class ChatCompletionWriter
{
    /// <summary>The response for <paramref name="response"/>.</summary>
    public static CompletionDto<MessageChoiceDto> Create(string id, long created, string model, ChatResponse response)
    {
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        string text = response.Text;
        var (specai, timings) = ResponseJson.SpecAIObject(response.Usage?.AdditionalCounts);
        var message = new MessageDto
        {
            Role = "assistant",
            Content = ContentField.Of(text.Length == 0 && calls.Count > 0 ? null : text),
            Refusal = ContentField.Of(null),
            ToolCalls = calls.Count > 0 ? calls.ConvertAll(c => ResponseJson.ToolCall(c, index: null)) : null,
        };
        return new()
        {
            Id = id,
            Object = "chat.completion",
            Created = created,
            Model = model,
            Choices = [new MessageChoiceDto { Index = 0, Message = message, FinishReason = ResponseJson.FinishReason(response.FinishReason, calls.Count > 0) }],
            Usage = UsageField.Of(ResponseJson.Usage(response.Usage)),
            Specai = specai,
            Timings = timings,
        };
    }
}
