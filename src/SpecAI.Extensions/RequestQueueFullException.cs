namespace SpecAI.Extensions;

/// <summary>
/// Thrown when a request cannot be admitted because the bounded queue of waiting requests is full.
/// Servers answer it with 503 (Service Unavailable) so the caller can retry later.
/// </summary>
public sealed class RequestQueueFullException : InvalidOperationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public RequestQueueFullException()
        : base("The request queue is full; retry later.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was full and how large it is.</param>
    public RequestQueueFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What was full and how large it is.</param>
    /// <param name="innerException">The cause.</param>
    public RequestQueueFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
