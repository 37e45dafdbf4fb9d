namespace SpecAI.Extensions.ChatClient;

/// <summary>One turn handed to the chat template: a role name and its content (all of it message text).</summary>
/// <param name="Role">The role as the template expects it ("system", "user", "assistant", "tool", "ipython", ...).</param>
/// <param name="Content">The turn's text.</param>
internal readonly record struct ChatTurn(string Role, string Content);
