using System.Text;
using System.Text.Json;
using SpecAI.Extensions.Hosting.Protocol;
using Xunit;

namespace SpecAI.Extensions.Hosting.Tests;

/// <summary>
/// The exact 400 bodies for malformed requests (recorded from the hand-written JsonDocument readers the source-generated
/// request DTOs replaced): wrong JSON types named by their path through unions (content parts, stop, tool_choice,
/// prompt), null array elements, range and value errors, invalid JSON, a non-object body.
/// </summary>
public class RequestErrorTests
{
    public static TheoryData<string, string> ChatBodies => new()
    {
        { """"{"messages":[{"role":"user","content":5}]}"""",
          """"{"error":{"message":"Invalid type for \u0027messages[0].content\u0027: expected a string or an array of content parts, but got a number.","type":"invalid_request_error","param":"messages[0].content","code":"invalid_type"}}"""" },
        { """"{"messages":[{"role":"user","content":[{"type":"text","text":5}]}]}"""",
          """"{"error":{"message":"Invalid type for \u0027messages[0].content[0].text\u0027: expected a string, but got a number.","type":"invalid_request_error","param":"messages[0].content[0].text","code":"invalid_type"}}"""" },
        { """"{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}"""",
          """"{"error":{"message":"Content part type \u0027image_url\u0027 is not supported; this server accepts text only.","type":"invalid_request_error","param":"messages[0].content[0].type","code":"unsupported_content"}}"""" },
        { """"{"messages":[null]}"""",
          """"{"error":{"message":"Invalid type for \u0027messages[0]\u0027: expected an object, but got null.","type":"invalid_request_error","param":"messages[0]","code":"invalid_type"}}"""" },
        { """"{"messages":"hi"}"""",
          """"{"error":{"message":"Invalid type for \u0027messages\u0027: expected an array, but got a string.","type":"invalid_request_error","param":"messages","code":"invalid_type"}}"""" },
        { """"{"messages":[{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":"{oops"}}]}]}"""",
          """"{"error":{"message":"\u0027messages[0].tool_calls[0].function.arguments\u0027 is not valid JSON: \u0027o\u0027 is an invalid start of a property name. Expected a \u0027\u0022\u0027. LineNumber: 0 | BytePositionInLine: 1.","type":"invalid_request_error","param":"messages[0].tool_calls[0].function.arguments","code":"invalid_value"}}"""" },
        { """"{"messages":[{"role":"user","content":"x"}],"n":1.5}"""",
          """"{"error":{"message":"Invalid type for \u0027n\u0027: expected an integer, but got a number.","type":"invalid_request_error","param":"n","code":"invalid_type"}}"""" },
        { """"{"messages":[{"role":"user","content":"x"}],"top_p":"high"}"""",
          """"{"error":{"message":"Invalid type for \u0027top_p\u0027: expected a number, but got a string.","type":"invalid_request_error","param":"top_p","code":"invalid_type"}}"""" },
        { """"{"messages":[{"role":"user","content":"x"}],"temperature":2.5}"""",
          """"{"error":{"message":"Invalid \u0027temperature\u0027: 2.5 is outside [0, 2].","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}"""" },
        { """"{"messages":[{"role":"user","content":"x"}],"stop":["a",5]}"""",
          """"{"error":{"message":"Invalid type for \u0027stop[1]\u0027: expected a string, but got a number.","type":"invalid_request_error","param":"stop[1]","code":"invalid_type"}}"""" },
        { """"{"messages":[{"role":"user","content":"x"}],"stop":{}}"""",
          """"{"error":{"message":"Invalid type for \u0027stop\u0027: expected a string, but got an object.","type":"invalid_request_error","param":"stop","code":"invalid_type"}}"""" },
        { """"{"messages":[{"role":"user","content":"x"}],"tool_choice":5}"""",
          """"{"error":{"message":"Invalid type for \u0027tool_choice\u0027: expected an object, but got a number.","type":"invalid_request_error","param":"tool_choice","code":"invalid_type"}}"""" },
        { """"{"messages":[{"role":"user","content":"x"}],"tool_choice":{"function":{"name":5}}}"""",
          """"{"error":{"message":"Invalid type for \u0027tool_choice.function.name\u0027: expected a string, but got a number.","type":"invalid_request_error","param":"tool_choice.function.name","code":"invalid_type"}}"""" },
        { """"{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":[]}}}"""",
          """"{"error":{"message":"Invalid type for \u0027response_format.json_schema.schema\u0027: expected an object, but got an array.","type":"invalid_request_error","param":"response_format.json_schema.schema","code":"invalid_type"}}"""" },
        { """"{"messages":[{"role":"user","content":"x"}],"specai":{"mode":["draft"]}}"""",
          """"{"error":{"message":"Invalid type for \u0027specai.mode\u0027: expected a string, number or boolean.","type":"invalid_request_error","param":"specai.mode","code":"invalid_type"}}"""" },
        { """"{"messages":[{"role":"user","content":"x"}],"prediction":{"type":"content","content":[{"type":"text","text":null}]}}"""",
          """"{"error":{"message":"Missing required parameter: \u0027prediction.content[0].text\u0027.","type":"invalid_request_error","param":"prediction.content[0].text","code":"missing_required_parameter"}}"""" },
        { """"{"messages":[{"role":"user","content":"x"}],"stream":"yes"}"""",
          """"{"error":{"message":"Invalid type for \u0027stream\u0027: expected a boolean, but got a string.","type":"invalid_request_error","param":"stream","code":"invalid_type"}}"""" },
        { """"[1]"""",
          """"{"error":{"message":"Invalid type for \u0027body\u0027: expected an object, but got an array.","type":"invalid_request_error","param":"body","code":"invalid_type"}}"""" },
        { """"{"messages": ["""",
          """"{"error":{"message":"The request body is not valid JSON: Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed. LineNumber: 0 | BytePositionInLine: 14.","type":"invalid_request_error","param":null,"code":"invalid_json"}}"""" },
        { "",
          """"{"error":{"message":"The request body is not valid JSON: The input does not contain any JSON tokens. Expected the input to start with a valid JSON token, when isFinalBlock is true. LineNumber: 0 | BytePositionInLine: 0.","type":"invalid_request_error","param":null,"code":"invalid_json"}}"""" },
    };

    public static TheoryData<string, string> CompletionBodies => new()
    {
        { """"{"prompt":5}"""",
          """"{"error":{"message":"Invalid type for \u0027prompt\u0027: expected a string, but got a number.","type":"invalid_request_error","param":"prompt","code":"invalid_type"}}"""" },
        { """"{"prompt":[5]}"""",
          """"{"error":{"message":"\u0027prompt\u0027 must be a string or an array of one string (batches of prompts and token arrays are not supported).","type":"invalid_request_error","param":"prompt","code":"unsupported_value"}}"""" },
        { """"{"prompt":"x","echo":"yes"}"""",
          """"{"error":{"message":"Invalid type for \u0027echo\u0027: expected a boolean, but got a string.","type":"invalid_request_error","param":"echo","code":"invalid_type"}}"""" },
        { """"{"prompt":"x","max_tokens":0}"""",
          """"{"error":{"message":"Invalid \u0027max_tokens\u0027: 0 is outside [1, 2147483647].","type":"invalid_request_error","param":"max_tokens","code":"invalid_value"}}"""" },
    };

    [Theory]
    [MemberData(nameof(ChatBodies))]
    public async Task ChatCompletion_Malformed_IsTheSame400Body(string body, string expected)
    {
        var error = await Assert.ThrowsAsync<OpenAIRequestException>(() => ChatCompletionRequest.ReadAsync(Body(body), CancellationToken.None));
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(expected, JsonSerializer.Serialize(ErrorWriter.Body(error), ProtocolJsonContext.Default.ErrorEnvelopeDto));
    }

    [Theory]
    [MemberData(nameof(CompletionBodies))]
    public async Task Completion_Malformed_IsTheSame400Body(string body, string expected)
    {
        var error = await Assert.ThrowsAsync<OpenAIRequestException>(() => CompletionRequest.ReadAsync(Body(body), CancellationToken.None));
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(expected, JsonSerializer.Serialize(ErrorWriter.Body(error), ProtocolJsonContext.Default.ErrorEnvelopeDto));
    }

    [Fact]
    public async Task UnknownFields_AreIgnored_AndSpecAIKeysPassThrough_InBodyOrder()
    {
        const string json = """{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],"user":{"any":[1]},"specai.mode":"draft","specai":{"mode":"superposed","draft_length":4},"specai.temperature_floor":0.5,"metadata":5}""";
        var request = await ChatCompletionRequest.ReadAsync(Body("\uFEFF" + json), CancellationToken.None);
        Assert.Equal("ab", Assert.Single(request.Messages).Text);
        Assert.Equal(
            new KeyValuePair<string, object?>[] { new("specai.mode", "superposed"), new("specai.draft_length", 4L), new("specai.temperature_floor", 0.5) },
            request.Options.AdditionalProperties!.ToArray());
    }

    [Fact]
    public async Task Stop_StringOrArray()
    {
        var one = await CompletionRequest.ReadAsync(Body("""{"prompt":["p"],"stop":"x"}"""), CancellationToken.None);
        var many = await CompletionRequest.ReadAsync(Body("""{"prompt":"p","stop":["x","y"]}"""), CancellationToken.None);
        Assert.Equal("p", one.Prompt);
        Assert.Equal(["x"], one.Options.StopSequences!);
        Assert.Equal(["x", "y"], many.Options.StopSequences!);
    }

    private static MemoryStream Body(string json) => new(Encoding.UTF8.GetBytes(json));
}
