using Microsoft.AspNetCore.Http.Metadata;

namespace SpecAI.Extensions.Hosting;

/// <summary>
/// Declares an endpoint's JSON request body type for API explorers and OpenAPI. It lists no content types on purpose:
/// routing answers a request whose content type is not listed with a bare 415 before the endpoint runs, and the server
/// guard's own 415 in OpenAI's error shape must answer instead.
/// </summary>
/// <param name="requestType">The body's DTO.</param>
internal sealed class RequestBodyMetadata(Type requestType) : IAcceptsMetadata
{
    /// <inheritdoc/>
    public IReadOnlyList<string> ContentTypes => [];

    /// <inheritdoc/>
    public Type? RequestType { get; } = requestType;

    /// <inheritdoc/>
    public bool IsOptional => false;
}
