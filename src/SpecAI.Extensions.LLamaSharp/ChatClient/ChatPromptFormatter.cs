using System.Text;
using LLama;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.ChatClient.Tools;

namespace SpecAI.Extensions.ChatClient;

/// <summary>
/// Renders chat messages with the model's own GGUF chat template (through llama.cpp), or ChatML when the
/// model has none.
/// </summary>
internal sealed class ChatPromptFormatter
{
    private readonly LLamaWeights _weights;

    public ChatPromptFormatter(LLamaWeights weights, ToolCallFormat toolFormat)
    {
        _weights = weights;
        HasTemplate = weights.Metadata.TryGetValue("tokenizer.chat_template", out string? template);
        ToolFormat = ToolPromptRenderer.Resolve(toolFormat, template);
    }

    /// <summary>Whether the GGUF carries a chat template (otherwise ChatML is used).</summary>
    public bool HasTemplate { get; }

    /// <summary>How tools are rendered for this model.</summary>
    public ToolCallFormat ToolFormat { get; }

    /// <summary>The function tools of a request (others are ignored).</summary>
    public static List<AIFunctionDeclaration> Functions(ChatOptions? options) =>
        options?.Tools?.OfType<AIFunctionDeclaration>().ToList() ?? [];

    public string Format(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var turns = new List<(string Role, string Content)>();
        string system = options?.Instructions ?? string.Empty;
        var functions = Functions(options);
        if (functions.Count > 0 && options?.ToolMode is not NoneChatToolMode)
        {
            system = (system.Length > 0 ? system + "\n\n" : string.Empty) + ToolPromptRenderer.DescribeTools(functions, ToolFormat);
        }

        if (system.Length > 0)
        {
            turns.Add(("system", system));
        }

        foreach (var message in messages)
        {
            var calls = message.Contents.OfType<FunctionCallContent>().ToList();
            var results = message.Contents.OfType<FunctionResultContent>().ToList();
            if (results.Count > 0)
            {
                turns.Add(ToolPromptRenderer.RenderResults(results, ToolFormat));
            }
            else if (calls.Count > 0)
            {
                string text = message.Text;
                turns.Add((RoleName(message.Role), (text.Length > 0 ? text + "\n" : string.Empty) + ToolPromptRenderer.RenderCalls(calls, ToolFormat)));
            }
            else
            {
                turns.Add((RoleName(message.Role), message.Text));
            }
        }

        // A system turn given as a message joins the tool description instead of following it.
        if (turns.Count > 1 && turns[0].Role == "system" && turns[1].Role == "system")
        {
            turns[0] = ("system", turns[1].Content + "\n\n" + turns[0].Content);
            turns.RemoveAt(1);
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
