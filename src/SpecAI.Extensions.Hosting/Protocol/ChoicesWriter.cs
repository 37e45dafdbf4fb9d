using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>
/// Builds a whole answer with several choices: a <c>chat.completion</c> (message per choice) or a legacy
/// <c>text_completion</c> (text per choice). Usage counts the prompt once and every choice's tokens.
/// </summary>
internal static class ChoicesWriter
{
    /// <summary>A <c>chat.completion</c> with a message per choice.</summary>
    public static CompletionDto<MessageChoiceDto> Chat(string id, long created, string model, IReadOnlyList<ChatResponse> choices)
        => Create(id, "chat.completion", created, model, choices, (c, i) => new MessageChoiceDto
        {
            Index = i,
            Message = new() { Role = "assistant", Content = ContentField.Of(c.Text), Refusal = ContentField.Of(null) },
            FinishReason = ResponseJson.FinishReason(c.FinishReason, hasToolCalls: false),
        });

    /// <summary>A legacy <c>text_completion</c> with a text per choice.</summary>
    public static CompletionDto<TextChoiceDto> Text(string id, long created, string model, IReadOnlyList<ChatResponse> choices)
        => Create(id, "text_completion", created, model, choices, (c, i) => new TextChoiceDto
        {
            Text = c.Text,
            Index = i,
            FinishReason = ResponseJson.FinishReason(c.FinishReason, hasToolCalls: false),
        });

    private static CompletionDto<TChoice> Create<TChoice>(string id, string type, long created, string model, IReadOnlyList<ChatResponse> choices, Func<ChatResponse, int, TChoice> choice)
    {
        var usage = Sum(choices.Select(c => c.Usage));
        var (specai, timings) = ResponseJson.SpecAIObject(usage.AdditionalCounts);
        return new()
        {
            Id = id,
            Object = type,
            Created = created,
            Model = model,
            Choices = choices.Select(choice).ToList(),
            Usage = UsageField.Of(ResponseJson.Usage(usage)),
            Specai = specai,
            Timings = timings,
        };
    }

    /// <summary>The choices' usage together: the prompt (and its cached part) once, every choice's output, counters summed.</summary>
    public static UsageDetails Sum(IEnumerable<UsageDetails?> usages)
    {
        var list = usages.ToList();
        var first = list.FirstOrDefault(u => u is not null);
        long output = list.Sum(u => u?.OutputTokenCount ?? 0);
        var counts = new AdditionalPropertiesDictionary<long>();
        foreach (var usage in list)
        {
            foreach (var (key, value) in usage?.AdditionalCounts ?? [])
            {
                counts[key] = counts.TryGetValue(key, out long sum) ? sum + value : value;
            }
        }

        return new UsageDetails
        {
            InputTokenCount = first?.InputTokenCount ?? 0,
            CachedInputTokenCount = first?.CachedInputTokenCount,
            OutputTokenCount = output,
            TotalTokenCount = (first?.InputTokenCount ?? 0) + output,
            AdditionalCounts = counts.Count > 0 ? counts : null,
        };
    }
}
