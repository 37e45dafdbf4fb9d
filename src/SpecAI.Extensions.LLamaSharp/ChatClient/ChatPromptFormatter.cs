using System.Text;
using LLama;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.ChatClient;

/// <summary>
/// Renders chat messages with the model's own GGUF chat template (through llama.cpp), or ChatML when the
/// model has none.
/// </summary>
internal sealed class ChatPromptFormatter
{
    private readonly LLamaWeights _weights;

    public ChatPromptFormatter(LLamaWeights weights)
    {
        _weights = weights;
        HasTemplate = weights.Metadata.ContainsKey("tokenizer.chat_template");
    }

    /// <summary>Whether the GGUF carries a chat template (otherwise ChatML is used).</summary>
    public bool HasTemplate { get; }

    public string Format(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var turns = new List<(string Role, string Content)>();
        if (!string.IsNullOrEmpty(options?.Instructions))
        {
            turns.Add(("system", options.Instructions));
        }

        foreach (var message in messages)
        {
            turns.Add((RoleName(message.Role), message.Text));
        }

        if (turns.Count == 0)
        {
            throw new ArgumentException("At least one message is required.", nameof(messages));
        }

        if (HasTemplate)
        {
            try
            {
                var template = new LLamaTemplate(_weights, strict: true) { AddAssistant = true };
                foreach (var (role, content) in turns)
                {
                    template.Add(role, content);
                }

                return Encoding.UTF8.GetString(template.Apply());
            }
            catch (Exception ex) when (ex is LLama.Exceptions.RuntimeError or InvalidOperationException or ArgumentException)
            {
                // llama.cpp knows the built-in template families only; anything else gets ChatML.
            }
        }

        return ChatMl(turns);
    }

    internal static string ChatMl(IEnumerable<(string Role, string Content)> turns)
    {
        var text = new StringBuilder();
        foreach (var (role, content) in turns)
        {
            text.Append("<|im_start|>").Append(role).Append('\n').Append(content).Append("<|im_end|>\n");
        }

        return text.Append("<|im_start|>assistant\n").ToString();
    }

    private static string RoleName(ChatRole role) =>
        role == ChatRole.System ? "system"
        : role == ChatRole.Assistant ? "assistant"
        : role == ChatRole.Tool ? "tool"
        : role == ChatRole.User ? "user"
        : role.Value.ToLowerInvariant();
}
