using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using SpecAI.Extensions.ChatClient.Tools;
using SpecAI.Extensions.Engine;


namespace SpecAI.Extensions.ChatClient;

/// <summary>
/// Turns a stream of generated tokens into chat updates: detokenizer -> stop-sequence filter -> tool-call
/// buffer -> text updates with running speculation counters, then tool calls, then one update with the usage
/// and the finish reason. Every update carries the same response id, message id, creation time and model id.
/// </summary>
/// <remarks>
/// It only assembles: the engine decides where the answer ends (stop token, text stop sequence, token limit) in its
/// commit and reports why in the request's <see cref="SpeculationStatistics.StopReason"/>. The stop-sequence filter
/// here only holds back text that may still become a stop sequence and trims the sequence off.
/// </remarks>
internal sealed class ChatResponseAssembler
{
    private readonly Func<ITokenTextDecoder> _decoders;
    private readonly string? _modelId;

    /// <summary>Creates an assembler.</summary>
    /// <param name="decoders">Creates one detokenizer per answer.</param>
    /// <param name="modelId">Model id reported on every update.</param>
    public ChatResponseAssembler(Func<ITokenTextDecoder> decoders, string? modelId)
    {
        _decoders = decoders;
        _modelId = modelId;
    }

    /// <summary>Assembles the updates of one answer.</summary>
    /// <param name="tokens">The generated tokens, ending where the engine ended the answer.</param>
    /// <param name="promptTokens">Prompt length, for the usage.</param>
    /// <param name="stopSequences">Texts the engine ends the answer at (trimmed off here, never shown).</param>
    /// <param name="tools">The request's tool names (empty: no tool calls are parsed).</param>
    /// <param name="toolFormat">The tool-call format to parse.</param>
    /// <param name="statistics">The request's live counters, and why the engine ended it.</param>
    /// <param name="cancellationToken">Cancels the answer.</param>
    /// <returns>The updates.</returns>
    public async IAsyncEnumerable<ChatResponseUpdate> AssembleAsync(
        IAsyncEnumerable<int> tokens,
        int promptTokens,
        IList<string>? stopSequences,
        IReadOnlySet<string> tools,
        ToolCallFormat toolFormat,
        SpeculationStatistics statistics,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        string responseId = "specai-" + Guid.NewGuid().ToString("N");
        string messageId = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        ChatResponseUpdate Update(IList<AIContent> contents) => new(ChatRole.Assistant, contents)
        {
            ResponseId = responseId,
            MessageId = messageId,
            CreatedAt = created,
            ModelId = _modelId,
        };

        var decoder = _decoders();
        var filter = new StopSequenceFilter(stopSequences?.ToArray());
        var toolCall = new ToolCallBuffer(tools, toolFormat);
        var finish = ChatFinishReason.Length;
        int generated = 0;
        long firstToken = 0;
        await foreach (int token in tokens.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            generated++;
            firstToken = generated == 1 ? System.Diagnostics.Stopwatch.GetTimestamp() : firstToken;
            if (statistics.StopReason == GenerationStopReason.EndOfGeneration && generated == statistics.StoppedAfterTokens)
            {
                // The engine ended the answer on this stop token: it is counted, never shown.
                continue;
            }

            decoder.Add(token);
            string text = toolCall.Push(filter.Push(decoder.Read()));
            if (text.Length > 0)
            {
                var update = Update([new TextContent(text)]);

                // Running counters, so a UI can show live acceptance and tokens/s while the answer streams.
                update.AdditionalProperties = new()
                {
                    [SpeculativeChatOptionKeys.GeneratedTokens] = statistics.GeneratedTokens,
                    [SpeculativeChatOptionKeys.TargetCalls] = statistics.TargetCalls,
                    [SpeculativeChatOptionKeys.DraftedTokens] = statistics.DraftedTokens,
                    [SpeculativeChatOptionKeys.AcceptedTokens] = statistics.AcceptedTokens,
                };
                yield return update;
            }
        }

        finish = statistics.StopReason is GenerationStopReason.EndOfGeneration or GenerationStopReason.StopSequence ? ChatFinishReason.Stop : finish;

        if (!filter.Stopped)
        {
            // Text held back for a possible stop sequence that never completed.
            string tail = filter.Push(decoder.Read());
            tail += filter.Stopped ? string.Empty : filter.Flush();
            finish = filter.Stopped ? ChatFinishReason.Stop : finish;
            tail = toolCall.Push(tail);
            if (tail.Length > 0)
            {
                yield return Update([new TextContent(tail)]);
            }
        }

        var (heldText, calls) = toolCall.Complete();
        if (calls.Count > 0)
        {
            finish = ChatFinishReason.ToolCalls;
            var contents = new List<AIContent>();
            if (heldText.Length > 0)
            {
                contents.Add(new TextContent(heldText));
            }

            contents.AddRange(calls);
            yield return Update(contents);
        }
        else if (heldText.Length > 0)
        {
            yield return Update([new TextContent(heldText)]);
        }

        var final = Update([new UsageContent(Usage(promptTokens, generated, statistics, Elapsed(started, firstToken), Elapsed(firstToken, 0)))]);
        final.FinishReason = finish;
        if (statistics.LossySteps > 0)
        {
            // A lossy rule (judge, typical acceptance) decided some step: the answer may differ from the target's law.
            final.AdditionalProperties = new() { [SpeculativeChatOptionKeys.Lossy] = true };
        }

        yield return final;
    }

    /// <summary>The usage of an answer, with the speculation counters and times under their <c>specai.*</c> keys.</summary>
    /// <param name="input">Prompt tokens.</param>
    /// <param name="output">Answer tokens.</param>
    /// <param name="statistics">The request's counters.</param>
    /// <param name="toFirstToken">Wall time until the first token (queue wait and the prompt's decode).</param>
    /// <param name="afterFirstToken">Wall time from the first token to the end.</param>
    public static UsageDetails Usage(int input, int output, SpeculationStatistics statistics, TimeSpan toFirstToken, TimeSpan afterFirstToken)
    {
        var counts = new AdditionalPropertiesDictionary<long>
        {
            [SpeculativeChatOptionKeys.TargetCalls] = statistics.TargetCalls,
            [SpeculativeChatOptionKeys.DraftedTokens] = statistics.DraftedTokens,
            [SpeculativeChatOptionKeys.AcceptedTokens] = statistics.AcceptedTokens,
            [SpeculativeChatOptionKeys.LossySteps] = statistics.LossySteps,
            [SpeculativeChatOptionKeys.JudgeAcceptedTokens] = statistics.JudgeAcceptedTokens,
            [SpeculativeChatOptionKeys.GeneratedTokens] = output,
            [SpeculativeChatOptionKeys.PrefillTokens] = statistics.PrefillTokens,
            [SpeculativeChatOptionKeys.FirstTokenMicroseconds] = (long)toFirstToken.TotalMicroseconds,
            [SpeculativeChatOptionKeys.GenerationMicroseconds] = (long)afterFirstToken.TotalMicroseconds,
        };
        if (!double.IsNaN(statistics.OptimalAcceptance))
        {
            counts[SpeculativeChatOptionKeys.OptimalAcceptanceMilli] = (long)Math.Round(statistics.OptimalAcceptance * 1000);
            counts[SpeculativeChatOptionKeys.AchievedAcceptanceMilli] = (long)Math.Round(statistics.AchievedAcceptance * 1000);
        }

        return new UsageDetails
        {
            InputTokenCount = input,
            OutputTokenCount = output,
            TotalTokenCount = input + output,
            AdditionalCounts = counts,
        };
    }

    /// <summary>Time from <paramref name="from"/> to <paramref name="to"/> (0: now); zero when <paramref name="from"/> never happened.</summary>
    private static TimeSpan Elapsed(long from, long to)
        => from == 0 ? TimeSpan.Zero : to == 0 ? System.Diagnostics.Stopwatch.GetElapsedTime(from) : System.Diagnostics.Stopwatch.GetElapsedTime(from, to);
}
