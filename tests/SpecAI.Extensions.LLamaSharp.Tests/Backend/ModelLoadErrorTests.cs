using LLama.Common;
using SpecAI.Extensions.Backend;

namespace SpecAI.Extensions.LLamaSharp.Tests.Backend;

/// <summary>"Not a GGUF / corrupt" (InvalidDataException, found by our reader before llama.cpp sees the file) versus out of memory.</summary>
public sealed class ModelLoadErrorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("specai-load-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task NotAGguf_IsInvalidData_FromTheHeaderCheck()
    {
        string path = Path.Combine(_folder, "notes.gguf");
        await File.WriteAllTextAsync(path, "these are not the weights you are looking for");

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => SpeculativeChatClient.CreateAsync(new SpeculativeChatClientOptions { TargetModelPath = path }));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("does not start with the GGUF magic", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TruncatedModel_IsInvalidData_NamingTheTensor()
    {
        byte[] whole = await File.ReadAllBytesAsync(TestModels.Stories);
        string path = Path.Combine(_folder, "cut.gguf");
        await File.WriteAllBytesAsync(path, whole[..(whole.Length * 2 / 3)]);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => LLamaModelSession.LoadAsync(path, new ModelParams(path) { ContextSize = 128 }));
        Assert.Contains("tensor '", e.Message, StringComparison.Ordinal);
        Assert.Contains("past the end", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ggml_backend_cpu_buffer_type_alloc_buffer: failed to allocate buffer of size 17179869184")]
    [InlineData("ggml_backend_cuda_buffer_type_alloc_buffer: allocating 8192.00 MiB on device 0: cudaMalloc failed: out of memory")]
    [InlineData("llama_model_load: error loading model: unable to allocate CUDA0 buffer")]
    [InlineData("llama_init_from_model: failed to initialize the context: failed to allocate buffer for kv cache")]
    public void NativeAllocationFailure_IsOutOfMemory(string nativeError)
    {
        var e = ModelFileLoader.Failure("big.gguf", ["llama_model_loader: loaded meta data", nativeError], new InvalidOperationException("load failed"));
        var oom = Assert.IsType<ModelOutOfMemoryException>(e);
        Assert.Equal("big.gguf", oom.ModelPath);
        Assert.Contains(nativeError, oom.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherNativeFailure_IsInvalidData_WithLlamaCppsReason()
    {
        var e = ModelFileLoader.Failure("odd.gguf", ["llama_model_load: error loading model: unknown model architecture: 'xyz'"], new InvalidOperationException("load failed"));
        Assert.IsType<InvalidDataException>(e);
        Assert.Contains("unknown model architecture", e.Message, StringComparison.Ordinal);
    }
}
