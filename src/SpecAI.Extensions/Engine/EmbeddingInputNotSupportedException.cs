namespace SpecAI.Extensions.Engine;

/// <summary>
/// The model cannot take input embeddings in place of tokens here (an architecture whose graph scales or adds to
/// its token embeddings in ways we do not reproduce, a token embedding type we cannot read, or a session without
/// embedding input), so Superposed Decoding is refused.
/// </summary>
public sealed class EmbeddingInputNotSupportedException : NotSupportedException
{
    /// <summary>Creates the exception.</summary>
    public EmbeddingInputNotSupportedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is not supported and why.</param>
    public EmbeddingInputNotSupportedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is not supported and why.</param>
    /// <param name="innerException">The cause.</param>
    public EmbeddingInputNotSupportedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
