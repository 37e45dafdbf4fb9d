using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using SpecAI.Extensions.Hosting.Protocol;
using SpecAI.Extensions.Hosting.Tests.TestSupport;
using Xunit;

namespace SpecAI.Extensions.Hosting.Tests;

/// <summary>Every API endpoint carries a name and its response shapes, which OpenAPI generators read.</summary>
public class EndpointMetadataTests
{
    [Theory]
    [InlineData("CreateChatCompletion", "/v1/chat/completions", typeof(CompletionDto<MessageChoiceDto>))]
    [InlineData("CreateCompletion", "/v1/completions", typeof(CompletionDto<TextChoiceDto>))]
    [InlineData("ListModels", "/v1/models", typeof(ModelListDto))]
    [InlineData("RetrieveModel", "/v1/models/{id}", typeof(ModelDto))]
    [InlineData("Health", "/health", typeof(HealthDto))]
    public async Task Endpoint_IsNamed_AndDeclaresItsResponses(string name, string route, Type ok)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddChatClient(new FakeChatClient());
        await using var app = builder.Build();
        app.MapOpenAIChatCompletions();

        var endpoint = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Single(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == name);
        Assert.Equal(route, endpoint.RoutePattern.RawText);
        var produces = endpoint.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>();
        Assert.Contains(produces, p => p.StatusCode == StatusCodes.Status200OK && p.Type == ok && p.ContentTypes.Contains("application/json"));
        if (name.StartsWith("Create", StringComparison.Ordinal))
        {
            Assert.Contains(produces, p => p.StatusCode == StatusCodes.Status200OK && p.ContentTypes.Contains("text/event-stream"));
            Assert.Contains(produces, p => p.StatusCode == StatusCodes.Status400BadRequest && p.Type == typeof(ErrorEnvelopeDto));
        }
    }

    [Theory]
    [InlineData("POST", "v1/chat/completions", typeof(ChatCompletionRequestDto), typeof(CompletionDto<MessageChoiceDto>))]
    [InlineData("POST", "v1/completions", typeof(CompletionRequestDto), typeof(CompletionDto<TextChoiceDto>))]
    [InlineData("GET", "v1/models", null, typeof(ModelListDto))]
    [InlineData("GET", "v1/models/{id}", null, typeof(ModelDto))]
    [InlineData("GET", "health", null, typeof(HealthDto))]
    public async Task Endpoint_IsDescribedByTheApiExplorer_WithItsBodyAndResponses(string method, string path, Type? body, Type ok)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddChatClient(new FakeChatClient());
        builder.Services.AddEndpointsApiExplorer();
        await using var app = builder.Build();
        app.MapOpenAIChatCompletions();

        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync(); // routing takes the app's endpoints when the pipeline is built

        var description = app.Services.GetRequiredService<IApiDescriptionGroupCollectionProvider>().ApiDescriptionGroups.Items
            .SelectMany(g => g.Items).Single(d => d.HttpMethod == method && d.RelativePath == path);
        Assert.Equal(body, description.ParameterDescriptions.SingleOrDefault(p => p.Source == BindingSource.Body)?.Type);
        Assert.Contains(description.SupportedResponseTypes, r => r.StatusCode == StatusCodes.Status200OK && r.Type == ok);
    }
}
