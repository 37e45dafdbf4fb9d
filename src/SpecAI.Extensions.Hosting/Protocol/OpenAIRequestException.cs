namespace SpecAI.Extensions.Hosting.Protocol;

/// <summary>A request the server answers with an error in OpenAI's shape (<c>{"error": {"message", "type", "param", "code"}}</c>).</summary>
internal sealed class OpenAIRequestException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="statusCode">HTTP status.</param>
    /// <param name="message">What is wrong, naming the parameter.</param>
    /// <param name="param">The request parameter at fault (JSON path such as <c>messages[1].content</c>), or null.</param>
    /// <param name="type">OpenAI's error type.</param>
    /// <param name="code">A machine-readable code, or null.</param>
    /// <param name="innerException">The cause.</param>
    public OpenAIRequestException(int statusCode, string message, string? param, string type = InvalidRequest, string? code = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Param = param;
        Type = type;
        Code = code;
    }

    /// <summary>OpenAI's error type for bad requests.</summary>
    public const string InvalidRequest = "invalid_request_error";

    /// <summary>OpenAI's error type for failures on the server side.</summary>
    public const string ServerError = "server_error";

    /// <summary>HTTP status.</summary>
    public int StatusCode { get; }

    /// <summary>The parameter at fault, or null.</summary>
    public string? Param { get; }

    /// <summary>OpenAI's error type.</summary>
    public string Type { get; }

    /// <summary>A machine-readable code, or null.</summary>
    public string? Code { get; }

    /// <summary>A 400 naming the bad parameter.</summary>
    /// <param name="param">The parameter.</param>
    /// <param name="message">What is wrong with it.</param>
    /// <param name="code">A machine-readable code.</param>
    /// <returns>The error.</returns>
    public static OpenAIRequestException BadRequest(string? param, string message, string? code = "invalid_value") => new(400, message, param, InvalidRequest, code);
}
