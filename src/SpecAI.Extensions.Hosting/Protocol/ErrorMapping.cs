namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>Maps what a chat client throws to an OpenAI error and an HTTP status.</summary>
internal static class ErrorMapping
{
    /// <summary>
    /// The error for an exception: 503 for a full request queue (<see cref="RequestQueueFullException"/>) or a client
    /// being disposed; 400 for bad arguments, unsupported settings and settings this client cannot serve (for example a
    /// speculation mode that needs a draft model it does not have); 500 otherwise.
    /// </summary>
    public static OpenAIRequestException ToOpenAIError(Exception exception) => exception switch
    {
        OpenAIRequestException error => error,
        RequestQueueFullException full => new(503, full.Message, null, OpenAIRequestException.ServerError, "queue_full", full),
        ObjectDisposedException disposed => new(503, "The model is shutting down; retry later.", null, OpenAIRequestException.ServerError, "unavailable", disposed),
        ArgumentException { ParamName: "prompt" } prompt => new(400, prompt.Message, "messages", code: "context_length_exceeded", innerException: prompt),
        ArgumentException argument => new(400, argument.Message, null, code: "invalid_value", innerException: argument),
        NotSupportedException unsupported => new(400, unsupported.Message, null, code: "unsupported_value", innerException: unsupported),
        InvalidOperationException invalid => new(400, invalid.Message, null, code: "invalid_value", innerException: invalid),
        _ => new(500, $"The server failed to answer: {exception.Message}", null, OpenAIRequestException.ServerError, innerException: exception),
    };

    /// <summary>The outcome tag of a failed request.</summary>
    public static string Outcome(OpenAIRequestException error) => error switch
    {
        { Code: "queue_full" } => "queue_full",
        { StatusCode: >= 500 } => "error",
        _ => "bad_request",
    };
}
