namespace SpecAI.Extensions.Hosting;

/// <summary>Settings of the endpoints mapped by <c>MapOpenAIChatCompletions</c>. Flat, so it binds from configuration.</summary>
/// <remarks>
/// The security settings apply to every endpoint mapped with these options (the API, <c>/health</c>, the chat page and,
/// through <c>MapSpecAIMetrics</c>, <c>/metrics</c>): the Host and Origin checks always; the API key to all but
/// <c>/health</c> and the chat page; the content type and limits to request bodies. An app that authenticates in its
/// own way leaves <see cref="ApiKeys"/> empty and adds its policy to the returned builder (<c>RequireAuthorization</c>).
/// </remarks>
public sealed class OpenAIChatCompletionsOptions
{
    /// <summary>Default of <see cref="MaxRequestBodyBytes"/>: 4 MiB.</summary>
    public const long DefaultMaxRequestBodyBytes = 4L << 20;

    /// <summary>The key of a keyed <c>IChatClient</c> registration to serve; null serves the unkeyed one.</summary>
    public object? ServiceKey { get; set; }

    /// <summary>The model id listed by <c>/v1/models</c> and returned in responses; null takes the client's <c>ChatClientMetadata.DefaultModelId</c>.</summary>
    public string? ModelId { get; set; }

    /// <summary>Whether <c>GET /</c> serves the chat page (static HTML and JavaScript). Default true.</summary>
    public bool MapChatPage { get; set; } = true;

    /// <summary>Whether <c>GET /health</c> reports whether the chat client can be resolved. Default true.</summary>
    public bool MapHealth { get; set; } = true;

    /// <summary>
    /// API keys accepted as <c>Authorization: Bearer KEY</c> (compared in constant time). Empty (the default): no key is
    /// asked for. A missing or wrong key gets 401 with <c>code</c> <c>invalid_api_key</c>.
    /// </summary>
    public IList<string> ApiKeys { get; set; } = [];

    /// <summary>
    /// Host names (no port; <c>*.example.com</c> for subdomains; <c>*</c> for any) accepted in the <c>Host</c> header.
    /// Empty (the default): ASP.NET Core's <c>AllowedHosts</c> configuration when it lists hosts, else only
    /// <c>localhost</c>, <c>127.0.0.1</c> and <c>[::1]</c> while every listening address is loopback (so a page cannot
    /// read the API by rebinding its own domain to 127.0.0.1), and any host otherwise. Other hosts get 421.
    /// </summary>
    public IList<string> AllowedHosts { get; set; } = [];

    /// <summary>
    /// Origins (<c>https://app.example.com</c>) besides the server's own whose browser requests are allowed; CORS headers
    /// and preflight (<c>OPTIONS</c>) are answered for them. A request with any other <c>Origin</c> gets 403; requests
    /// without one (SDKs, curl) are unaffected. <c>*</c> allows every origin.
    /// </summary>
    public IList<string> CorsOrigins { get; set; } = [];

    /// <summary>Largest request body in bytes; larger ones get 413. Default <see cref="DefaultMaxRequestBodyBytes"/> (4 MiB).</summary>
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;

    /// <summary>Most entries in <c>messages</c>. Default 1,024.</summary>
    public int MaxMessages { get; set; } = 1024;

    /// <summary>Most entries in <c>stop</c>. Default 16.</summary>
    public int MaxStopSequences { get; set; } = 16;

    /// <summary>Longest <c>stop</c> entry in characters. Default 256.</summary>
    public int MaxStopSequenceLength { get; set; } = 256;

    /// <summary>Most entries in <c>tools</c>. Default 128.</summary>
    public int MaxTools { get; set; } = 128;

    /// <summary>
    /// Largest JSON schema (<c>response_format.json_schema.schema</c>, each tool's <c>parameters</c>) in bytes as sent.
    /// Default 256 KiB. Inside that, the JSON constraint's own limits (<c>JsonSchemaSubset.MaxDepth</c>,
    /// <c>MaxSubschemas</c>, <c>MaxProperties</c>, <c>MaxEnumValues</c>, <c>MaxNameLength</c>) still apply.
    /// </summary>
    public int MaxSchemaBytes { get; set; } = 256 << 10;

    /// <summary>
    /// How long running requests may go on after shutdown begins (SIGTERM, Ctrl+C) before they are cancelled, streams
    /// ending with an error event and <c>[DONE]</c>. Default 10 seconds. Keep it below the host's <c>ShutdownTimeout</c>.
    /// </summary>
    public TimeSpan ShutdownDrainTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
