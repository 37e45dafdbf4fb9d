using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.AgentFramework.Tests.TestSupport;

/// <summary>Sits between the agent and the speculative client and records what each model call received and returned.</summary>
internal sealed class RecordingChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    /// <summary>One model call: the messages and options it received, and the usage it reported.</summary>
    public sealed record Call(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)
    {
        private UsageDetails? _usage;

        /// <summary>
        /// A copy of the call's usage: FunctionInvokingChatClient sums later calls into the first call's
        /// UsageDetails instance, so keeping the reference would record the total.
        /// </summary>
        public UsageDetails? Usage
        {
            get => _usage;
            set => _usage = value is null ? null : new UsageDetails
            {
                InputTokenCount = value.InputTokenCount,
                OutputTokenCount = value.OutputTokenCount,
                TotalTokenCount = value.TotalTokenCount,
                AdditionalCounts = value.AdditionalCounts is null ? null : new(value.AdditionalCounts),
            };
        }
    }

    public List<Call> Calls { get; } = [];

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = new Call(messages.ToList(), options?.Clone());
        Calls.Add(call);
        var response = await base.GetResponseAsync(call.Messages, options, cancellationToken);
        call.Usage = response.Usage;
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var call = new Call(messages.ToList(), options?.Clone());
        Calls.Add(call);
        await foreach (var update in base.GetStreamingResponseAsync(call.Messages, options, cancellationToken))
        {
            call.Usage = update.Contents.OfType<UsageContent>().LastOrDefault()?.Details ?? call.Usage;
            yield return update;
        }
    }
}
