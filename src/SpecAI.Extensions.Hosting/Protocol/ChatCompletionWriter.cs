using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>Writes a whole (non-streamed) <c>chat.completion</c> object.</summary>
internal static class ChatCompletionWriter
{
    /// <summary>Writes the response for <paramref name="response"/>.</summary>
    public static void Write(Utf8JsonWriter writer, string id, long created, string model, ChatResponse response)
    {
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        string text = response.Text;
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("object", "chat.completion");
        writer.WriteNumber("created", created);
        writer.WriteString("model", model);
        writer.WriteString("system_fingerprint", "specai");
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("message");
        writer.WriteString("role", "assistant");
        if (text.Length == 0 && calls.Count > 0)
        {
            writer.WriteNull("content");
        }
        else
        {
            writer.WriteString("content", text);
        }

        writer.WriteNull("refusal");
        if (calls.Count > 0)
        {
            writer.WriteStartArray("tool_calls");
            foreach (var call in calls)
            {
                ResponseJson.WriteToolCall(writer, call, index: null);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        writer.WriteString("finish_reason", ResponseJson.FinishReason(response.FinishReason, calls.Count > 0));
        writer.WriteEndObject();
        writer.WriteEndArray();
        ResponseJson.WriteUsage(writer, response.Usage);
        if (response.Usage?.AdditionalCounts is { } counts)
        {
            ResponseJson.WriteCounters(writer, counts);
        }

        writer.WriteEndObject();
    }
}
