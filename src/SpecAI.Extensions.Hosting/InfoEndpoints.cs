using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SpecAI.Extensions.Hosting.Protocol;
using SpecAI.Extensions.Hosting.Security;

namespace SpecAI.Extensions.Hosting;

/// <summary><c>GET /v1/models</c>, <c>GET /v1/models/{id}</c> and <c>GET /health</c>.</summary>
internal sealed class InfoEndpoints(OpenAIChatCompletionsOptions options)
{
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>Lists the one model served.</summary>
    public Task ListModelsAsync(HttpContext context)
    {
        string model = ModelId(context);
        return WriteJsonAsync(context.Response, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            WriteModel(w, model);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>Describes the served model, or 404 in OpenAI's error shape for another id.</summary>
    public Task GetModelAsync(HttpContext context, string id)
    {
        string model = ModelId(context);
        if (id == model)
        {
            return WriteJsonAsync(context.Response, StatusCodes.Status200OK, w => WriteModel(w, model));
        }

        var error = new OpenAIRequestException(404, $"The model '{id}' does not exist; this server serves '{model}'.", "model", code: "model_not_found");
        return ErrorWriter.WriteAsync(context.Response, error, context.RequestAborted);
    }

    /// <summary>
    /// 200 <c>{"status": "ok", "model"}</c> once the chat client resolves (models loaded); 503 with the reason before
    /// that, and <c>{"status": "draining"}</c> once shutdown has begun (so a load balancer stops sending requests).
    /// </summary>
    public Task HealthAsync(HttpContext context)
    {
        if (ServerGuard.IsDraining(context))
        {
            return WriteJsonAsync(context.Response, StatusCodes.Status503ServiceUnavailable, w =>
            {
                w.WriteStartObject();
                w.WriteString("status", "draining");
                w.WriteEndObject();
            });
        }

        string model;
        try
        {
            model = ModelId(context);
        }
        catch (Exception ex)
        {
            return WriteJsonAsync(context.Response, StatusCodes.Status503ServiceUnavailable, w =>
            {
                w.WriteStartObject();
                w.WriteString("status", "unavailable");
                w.WriteString("error", ex.Message);
                w.WriteEndObject();
            });
        }

        return WriteJsonAsync(context.Response, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "ok");
            w.WriteString("model", model);
            w.WriteEndObject();
        });
    }

    private string ModelId(HttpContext context)
        => ChatCompletionsEndpoint.ModelId(ChatCompletionsEndpoint.ResolveClient(context.RequestServices, options), options) ?? "specai";

    private void WriteModel(Utf8JsonWriter w, string model)
    {
        w.WriteStartObject();
        w.WriteString("id", model);
        w.WriteString("object", "model");
        w.WriteNumber("created", _created);
        w.WriteString("owned_by", "specai");
        w.WriteEndObject();
    }

    private static async Task WriteJsonAsync(HttpResponse response, int status, Action<Utf8JsonWriter> write)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), response.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
