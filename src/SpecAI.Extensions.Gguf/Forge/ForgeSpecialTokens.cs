namespace SpecAI.Extensions.Gguf.Forge;

/// <summary>The special token ids and flags a GGUF tokenizer carries (<c>tokenizer.ggml.*_token_id</c>, <c>add_*_token</c>).</summary>
public sealed record ForgeSpecialTokens
{
    /// <summary>Beginning-of-sequence id (<c>tokenizer.ggml.bos_token_id</c>).</summary>
    public required int BeginOfSequence { get; init; }

    /// <summary>End-of-sequence id (<c>tokenizer.ggml.eos_token_id</c>); the forge gives it the end-of-sequence logit bias.</summary>
    public required int EndOfSequence { get; init; }

    /// <summary>End-of-turn id (<c>tokenizer.ggml.eot_token_id</c>), e.g. <c>&lt;|im_end|&gt;</c> or <c>&lt;|eot_id|&gt;</c>.</summary>
    public int? EndOfTurn { get; init; }

    /// <summary>End-of-message id (<c>tokenizer.ggml.eom_token_id</c>), Llama 3.1's <c>&lt;|eom_id|&gt;</c> after a tool call.</summary>
    public int? EndOfMessage { get; init; }

    /// <summary>Padding id (<c>tokenizer.ggml.padding_token_id</c>).</summary>
    public int? Padding { get; init; }

    /// <summary>Unknown-token id (SentencePiece vocabularies; byte-level BPE has none).</summary>
    public int? Unknown { get; init; }

    /// <summary>Whether tokenization adds BOS in front (<c>tokenizer.ggml.add_bos_token</c>).</summary>
    public bool AddBeginOfSequence { get; init; }

    /// <summary>Whether tokenization appends EOS (<c>tokenizer.ggml.add_eos_token</c>).</summary>
    public bool AddEndOfSequence { get; init; }
}
