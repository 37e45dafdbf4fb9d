namespace SpecAI.Extensions;

/// <summary>
/// A request arrived while every generation slot was busy and the waiting queue was full
/// (<c>MaxConcurrentRequests</c> running, <c>MaxQueuedRequests</c> waiting). Nothing was started: retry later
/// (an HTTP server answers 503).
/// </summary>
public sealed class RequestQueueFullException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public RequestQueueFullException()
        : base("The request queue is full.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public RequestQueueFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public RequestQueueFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
