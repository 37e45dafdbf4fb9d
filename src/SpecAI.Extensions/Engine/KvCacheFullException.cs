namespace SpecAI.Extensions.Engine;

/// <summary>
/// A model's KV cache had no room for a batch (llama.cpp's NoKvSlot). Nothing of the batch was decoded;
/// the engine frees cached conversations and retries before it fails a request with this exception.
/// </summary>
public sealed class KvCacheFullException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public KvCacheFullException()
        : base("The KV cache has no room for the batch.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What did not fit.</param>
    public KvCacheFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">What did not fit.</param>
    /// <param name="innerException">The cause.</param>
    public KvCacheFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
