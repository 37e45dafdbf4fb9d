using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using SpecAI.Extensions.Hosting.Protocol;
using SpecAI.Extensions.Hosting.Security;

namespace SpecAI.Extensions.Hosting;

/// <summary><c>GET /v1/models</c>, <c>GET /v1/models/{id}</c> and <c>GET /health</c>.</summary>
/// <remarks>
/// <c>/health</c> is not <c>MapHealthChecks</c>: that needs <c>AddHealthChecks()</c> in the app's services (mapping
/// fails without it, and this method only sees endpoints), and its checks get no <see cref="HttpContext"/>, which the
/// drain state and the keyed client are read from. It writes its body itself (not a <c>TypedResults</c> result,
/// which needs the request's logger factory) so a bare <see cref="HttpContext"/> can probe it.
/// </remarks>
internal sealed class InfoEndpoints(OpenAIChatCompletionsOptions options)
{
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>Lists the one model served.</summary>
    public JsonHttpResult<ModelListDto> ListModels(HttpContext context)
        => Json(new ModelListDto { Data = [Model(ModelId(context))] }, ProtocolJsonContext.Default.ModelListDto, StatusCodes.Status200OK);

    /// <summary>Describes the served model, or 404 in OpenAI's error shape for another id.</summary>
    public Results<JsonHttpResult<ModelDto>, JsonHttpResult<ErrorEnvelopeDto>> GetModel(HttpContext context, string id)
    {
        string model = ModelId(context);
        if (id == model)
        {
            return Json(Model(model), ProtocolJsonContext.Default.ModelDto, StatusCodes.Status200OK);
        }

        var error = new OpenAIRequestException(404, $"The model '{id}' does not exist; this server serves '{model}'.", "model", code: "model_not_found");
        return Json(ErrorWriter.Body(error), ProtocolJsonContext.Default.ErrorEnvelopeDto, error.StatusCode);
    }

    /// <summary>
    /// 200 <c>{"status": "ok", "model"}</c> once the chat client resolves (models loaded); 503 with the reason before
    /// that, and <c>{"status": "draining"}</c> once shutdown has begun (so a load balancer stops sending requests).
    /// </summary>
    public Task HealthAsync(HttpContext context)
    {
        var (status, body) = Health(context);
        return ResponseJson.WriteAsync(context.Response, status, body, ProtocolJsonContext.Default.HealthDto, context.RequestAborted);
    }

    private (int Status, HealthDto Body) Health(HttpContext context)
    {
        if (ServerGuard.IsDraining(context))
        {
            return (StatusCodes.Status503ServiceUnavailable, new HealthDto { Status = "draining" });
        }

        try
        {
            return (StatusCodes.Status200OK, new HealthDto { Status = "ok", Model = ModelId(context) });
        }
        catch (Exception ex)
        {
            return (StatusCodes.Status503ServiceUnavailable, new HealthDto { Status = "unavailable", Error = ex.Message });
        }
    }

    private string ModelId(HttpContext context)
        => ChatCompletionsEndpoint.ModelId(ChatCompletionsEndpoint.ResolveClient(context.RequestServices, options), options) ?? "specai";

    private ModelDto Model(string model) => new() { Id = model, Created = _created };

    // "application/json" as before (TypedResults' default adds "; charset=utf-8").
    private static JsonHttpResult<T> Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, int status)
        => TypedResults.Json(value, typeInfo, "application/json", status);
}
