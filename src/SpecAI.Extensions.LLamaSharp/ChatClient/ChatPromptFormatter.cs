using LLama;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SpecAI.Extensions.ChatClient.Tools;

namespace SpecAI.Extensions.ChatClient;

/// <summary>
/// Renders chat messages with the model's own GGUF chat template (through llama.cpp), or ChatML when the
/// model has none, keeping the template's scaffolding apart from the message content (see <see cref="PromptTokenizer"/>).
/// </summary>
/// <remarks>
/// llama.cpp applies only its built-in template families, not arbitrary Jinja. The template is tried once when the
/// formatter is made; if the model has none or llama.cpp cannot apply it, every prompt is ChatML and one warning says
/// so, naming the model and the reason. A request the template cannot render later also falls back to ChatML (warned
/// once per formatter, i.e. per model load).
/// </remarks>
internal sealed class ChatPromptFormatter
{
    private readonly LLamaWeights _weights;
    private readonly Lazy<PromptTokenizer> _tokenizer;
    private readonly ILogger _logger;
    private readonly string _modelName;
    private int _requestFallbackLogged;

    public ChatPromptFormatter(LLamaWeights weights, ToolCallFormat toolFormat, ILogger? logger = null, string? modelName = null)
    {
        _weights = weights;
        _tokenizer = new Lazy<PromptTokenizer>(() => new PromptTokenizer(weights));
        _logger = logger ?? NullLogger.Instance;
        _modelName = modelName ?? "(model)";
        HasTemplate = weights.Metadata.TryGetValue("tokenizer.chat_template", out string? template);
        ToolFormat = ToolPromptRenderer.Resolve(toolFormat, template);
        UsesTemplate = HasTemplate && CanApplyTemplate();
        if (!HasTemplate)
        {
            _logger.LogWarning("Model {Model} has no chat template (tokenizer.chat_template): prompts use ChatML, which the model may not have been trained on.", _modelName);
        }
    }

    /// <summary>Whether the GGUF carries a chat template.</summary>
    public bool HasTemplate { get; }

    /// <summary>Whether prompts are rendered with the GGUF's template; false when it has none or llama.cpp cannot apply it (ChatML then).</summary>
    public bool UsesTemplate { get; }

    /// <summary>How tools are rendered for this model.</summary>
    public ToolCallFormat ToolFormat { get; }

    /// <summary>The function tools of a request (others are ignored).</summary>
    public static List<AIFunctionDeclaration> Functions(ChatOptions? options) =>
        options?.Tools?.OfType<AIFunctionDeclaration>().ToList() ?? [];

    /// <summary>The prompt tokens of a request: control tokens come from the template only, unless <paramref name="controlTokensInContent"/>.</summary>
    /// <exception cref="ArgumentException">No message, or a role name that is not a plain word.</exception>
    /// <exception cref="NotSupportedException">A message holds content other than text, reasoning, usage, function calls and results.</exception>
    public int[] Tokenize(IEnumerable<ChatMessage> messages, ChatOptions? options, bool controlTokensInContent) =>
        _tokenizer.Value.Tokenize(Format(messages, options), controlTokensInContent);

    /// <summary>The prompt as scaffolding and content segments.</summary>
    /// <exception cref="ArgumentException">No message, or a role name that is not a plain word.</exception>
    /// <exception cref="NotSupportedException">A message holds content the text-only models cannot read.</exception>
    public List<PromptSegment> Format(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var turns = Turns(messages, options, ToolFormat);
        if (UsesTemplate)
        {
            try
            {
                return TemplatePrompt.Render(new LLamaTemplate(_weights, strict: true), turns);
            }
            catch (Exception ex) when (IsTemplateFailure(ex))
            {
                if (Interlocked.Exchange(ref _requestFallbackLogged, 1) == 0)
                {
                    _logger.LogWarning("The chat template of model {Model} could not render a request ({Reason}); that prompt used ChatML. Later fallbacks of this model are not logged.", _modelName, ex.Message);
                }
            }
        }

        return ChatMlPrompt.Render(turns);
    }

    private static bool IsTemplateFailure(Exception ex) => ex is LLama.Exceptions.RuntimeError or InvalidOperationException or ArgumentException;

    /// <summary>Applies the template to a one-turn conversation: llama.cpp refuses a template family it does not know whatever the turns.</summary>
    private bool CanApplyTemplate()
    {
        try
        {
            TemplatePrompt.Render(new LLamaTemplate(_weights, strict: true), [new ChatTurn("user", "Hello")]);
            return true;
        }
        catch (Exception ex) when (IsTemplateFailure(ex))
        {
            _logger.LogWarning("The chat template of model {Model} cannot be applied ({Reason}): llama.cpp applies its built-in template families only; prompts use ChatML, which the model may not have been trained on.", _modelName, ex.Message);
            return false;
        }
    }

    /// <summary>The turns handed to the template: instructions and tool declarations first, then the messages.</summary>
    internal static List<ChatTurn> Turns(IEnumerable<ChatMessage> messages, ChatOptions? options, ToolCallFormat toolFormat)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turns = new List<ChatTurn>();
        string system = options?.Instructions ?? string.Empty;
        var functions = Functions(options);
        if (functions.Count > 0 && options?.ToolMode is not NoneChatToolMode)
        {
            system = (system.Length > 0 ? system + "\n\n" : string.Empty) + ToolPromptRenderer.DescribeTools(functions, toolFormat);
        }

        if (system.Length > 0)
        {
            turns.Add(new("system", system));
        }

        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            CheckContents(message);
            var calls = message.Contents.OfType<FunctionCallContent>().ToList();
            var results = message.Contents.OfType<FunctionResultContent>().ToList();
            if (results.Count > 0)
            {
                var (role, content) = ToolPromptRenderer.RenderResults(results, toolFormat);
                turns.Add(new(role, content));
            }
            else if (calls.Count > 0)
            {
                string text = message.Text;
                turns.Add(new(RoleName(message.Role), (text.Length > 0 ? text + "\n" : string.Empty) + ToolPromptRenderer.RenderCalls(calls, toolFormat)));
            }
            else
            {
                turns.Add(new(RoleName(message.Role), message.Text));
            }
        }

        // A system turn given as a message joins the tool description instead of following it.
        if (turns.Count > 1 && turns[0].Role == "system" && turns[1].Role == "system")
        {
            turns[0] = new("system", turns[1].Content + "\n\n" + turns[0].Content);
            turns.RemoveAt(1);
        }

        if (turns.Count == 0)
        {
            throw new ArgumentException("At least one message is required.", nameof(messages));
        }

        return turns;
    }

    /// <summary>The models are text-only: content they cannot read is refused instead of silently dropped.</summary>
    private static void CheckContents(ChatMessage message)
    {
        foreach (var content in message.Contents)
        {
            // Reasoning from earlier answers is left out of the history, as reasoning models' templates do;
            // usage is bookkeeping.
            if (content is TextContent or TextReasoningContent or UsageContent or FunctionCallContent or FunctionResultContent)
            {
                continue;
            }

            throw new NotSupportedException(
                $"{content?.GetType().Name ?? "null"} in a '{message.Role}' message is not supported: the GGUF models behind {nameof(SpeculativeChatClient)} read text only (text, function calls and function results).");
        }
    }

    /// <summary>The template's role name; custom roles must be plain words, since the template writes them as scaffolding.</summary>
    private static string RoleName(ChatRole role)
    {
        if (role == ChatRole.System)
        {
            return "system";
        }

        if (role == ChatRole.Assistant)
        {
            return "assistant";
        }

        if (role == ChatRole.Tool)
        {
            return "tool";
        }

        if (role == ChatRole.User)
        {
            return "user";
        }

        string name = role.Value.ToLowerInvariant();
        if (name.Length is 0 or > 32 || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-'))
        {
            throw new ArgumentException($"Chat role '{role.Value}' is not supported: a custom role must be a word of letters, digits, '_' or '-' (at most 32).", "messages");
        }

        return name;
    }
}
