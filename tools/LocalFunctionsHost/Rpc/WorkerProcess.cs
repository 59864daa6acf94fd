using System.Diagnostics;
using System.Globalization;
using LocalFunctionsHost.Configuration;

namespace LocalFunctionsHost.Rpc;

/// <summary>The worker process, started as the real host starts it; its stdout and stderr go to the host's output.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;

    private WorkerProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public Task Exited => _process.WaitForExitAsync();

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public static WorkerProcess Start(WorkerConfig config, string scriptRoot, Uri rpcAddress, string workerId, AppSettings settings, HostOutput output)
    {
        var start = new ProcessStartInfo(config.Executable)
        {
            WorkingDirectory = scriptRoot,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        var requestId = Guid.NewGuid().ToString();
        var port = rpcAddress.Port.ToString(CultureInfo.InvariantCulture);
        if (config.WorkerPath is { } workerPath)
        {
            start.ArgumentList.Add(workerPath);
        }

        // The real host's arguments (DefaultWorkerProcessFactory): worker 2.x reads the --functions-* ones.
        foreach (var argument in new[]
                 {
                     "--host", rpcAddress.Host, "--port", port, "--workerId", workerId, "--requestId", requestId,
                     "--grpcMaxMessageLength", "2147483647",
                     "--functions-uri", rpcAddress.ToString(), "--functions-worker-id", workerId,
                     "--functions-request-id", requestId, "--functions-grpc-max-message-length", "2147483647",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var (key, value) in settings.All)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.Line(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.Line(e.Data);
            }
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new LocalHostException($"Cannot start the worker '{config.Executable}': {e.Message}", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new WorkerProcess(process);
    }

    /// <summary>Ends the worker and every process it started.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
