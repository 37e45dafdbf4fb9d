namespace SpecAI.Extensions;

/// <summary>How tools are described to the model and how its calls are written.</summary>
public enum ToolCallFormat
{
    /// <summary>Chosen from the model's chat template: Hermes when it mentions &lt;tool_call&gt;, Llama 3.1 for Llama 3 headers, else generic.</summary>
    Auto,

    /// <summary>Hermes / Qwen style: <c>&lt;tool_call&gt;{"name": ..., "arguments": {...}}&lt;/tool_call&gt;</c>, results in <c>&lt;tool_response&gt;</c> under role "tool".</summary>
    Hermes,

    /// <summary>Llama 3.1 JSON style: the reply is <c>{"name": ..., "parameters": {...}}</c>, results under role "ipython".</summary>
    Llama31,

    /// <summary>Generic fallback for models without tool training: Hermes-style tags explained in the system prompt.</summary>
    Generic,
}
