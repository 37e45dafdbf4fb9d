namespace SpecAI.Extensions.ChatClient;

/// <summary>ChatML, the fallback for models without a chat template that llama.cpp knows.</summary>
internal static class ChatMlPrompt
{
    public static List<PromptSegment> Render(IReadOnlyList<ChatTurn> turns)
    {
        var segments = new List<PromptSegment>(3 * turns.Count + 1);
        foreach (var (role, content) in turns)
        {
            segments.Add(PromptSegment.Scaffold("<|im_start|>" + role + "\n"));
            segments.Add(PromptSegment.Content(content));
            segments.Add(PromptSegment.Scaffold("<|im_end|>\n"));
        }

        segments.Add(PromptSegment.Scaffold("<|im_start|>assistant\n"));
        return segments;
    }
}
