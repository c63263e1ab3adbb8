using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Embeddings;

/// <summary>
/// Lowers the calling thread's scheduling priority, so the CPU-bound work it does waits whenever a thread that
/// serves visitors (drawing a page, answering a call) wants the core. On Windows <see cref="ThreadPriority.BelowNormal"/>
/// does this; on Linux .NET leaves thread priorities alone, so the thread's nice value is raised (which needs no privilege).
/// </summary>
internal static class BackgroundPriority
{
    /// <summary>The nice value the thread gets on Linux: its share of a contended core is about a tenth of a normal thread's.</summary>
    public const int Nice = 10;

    public static void Lower(ILogger logger)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            if (SetPriority(PrioProcess, GetThreadId(), Nice) != 0)
                logger.LogDebug("The embedding thread keeps its priority: setpriority failed with error {Error}", Marshal.GetLastPInvokeError());
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            logger.LogDebug("The embedding thread keeps its priority: {Error}", ex.Message);
        }
    }

    // PRIO_PROCESS with a thread id applies to that thread alone on Linux.
    private const int PrioProcess = 0;

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetThreadId();
}
