using Microsoft.Extensions.AI;

namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>A parsed <c>POST /v1/completions</c> body (OpenAI's legacy text completions).</summary>
/// <param name="Prompt">The text to continue (no chat template).</param>
/// <param name="Options">Sampling, stop and <c>specai.*</c> settings; <c>specai.raw_prompt</c> is set.</param>
/// <param name="Choices">n.</param>
/// <param name="Stream">Whether the answer streams as server-sent events.</param>
/// <param name="IncludeUsage">Whether a streamed answer ends with a usage chunk.</param>
internal sealed record CompletionRequest(string Prompt, ChatOptions Options, int Choices, bool Stream, bool IncludeUsage);
