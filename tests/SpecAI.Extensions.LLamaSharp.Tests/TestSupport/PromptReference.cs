using System.Text;
using LLama;
using LLama.Native;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.ChatClient;

namespace SpecAI.Extensions.LLamaSharp.Tests.TestSupport;

/// <summary>What prompt tests compare the client's tokens with.</summary>
internal static class PromptReference
{
    /// <summary>How many of the tokens are control tokens of the target's vocabulary.</summary>
    public static int ControlTokens(SpeculativeChatClient client, IEnumerable<int> tokens)
    {
        var vocab = client.TargetSession.Weights.Vocab;
        return tokens.Count(t => (((LLamaToken)t).GetAttributes(vocab) & LLamaTokenAttr.Control) != 0);
    }

    /// <summary>What the client did before prompt segments: the whole templated text tokenized with special-token parsing.</summary>
    public static int[] Legacy(SpeculativeChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var weights = client.TargetSession.Weights;
        var turns = ChatPromptFormatter.Turns(messages, options, ToolCallFormat.Generic);
        string text;
        if (weights.Metadata.ContainsKey("tokenizer.chat_template"))
        {
            var template = new LLamaTemplate(weights, strict: true) { AddAssistant = true };
            foreach (var turn in turns)
            {
                template.Add(turn.Role, turn.Content);
            }

            text = Encoding.UTF8.GetString(template.Apply());
        }
        else
        {
            text = string.Concat(turns.Select(t => $"<|im_start|>{t.Role}\n{t.Content}<|im_end|>\n")) + "<|im_start|>assistant\n";
        }

        return weights.Tokenize(text, weights.Vocab.ShouldAddBOS, special: true, Encoding.UTF8).Select(t => (int)t).ToArray();
    }
}
