using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>A parsed <c>POST /v1/chat/completions</c> body.</summary>
/// <param name="Messages">The conversation.</param>
/// <param name="Options">Sampling, tools, format and <c>specai.*</c> settings.</param>
/// <param name="Stream">Whether the answer streams as server-sent events.</param>
/// <param name="IncludeUsage">Whether a streamed answer ends with a usage chunk (<c>stream_options.include_usage</c>).</param>
internal sealed record ChatCompletionRequest(List<ChatMessage> Messages, ChatOptions Options, bool Stream, bool IncludeUsage)
{
    /// <summary>n: how many choices (independent samples, or Superposed Decoding suggestions in mode superposed).</summary>
    public int Choices { get; init; } = 1;
}
