namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>The ChatML Jinja template; llama.cpp's built-in detection recognises it by <c>&lt;|im_start|&gt;</c>.</summary>
public static class ChatMlTemplate
{
    /// <summary>The template text written to <c>tokenizer.chat_template</c>.</summary>
    public const string Jinja =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
        + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
}
