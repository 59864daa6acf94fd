using System.Diagnostics;
using System.Globalization;
using LocalFunctionsHost.Configuration;
using LocalFunctionsHost.Protocol;
using LocalFunctionsHost.Queues;
using LocalFunctionsHost.Rpc;

namespace LocalFunctionsHost;

/// <summary>How an invocation ended: the worker's answer, or why there was none.</summary>
internal sealed record InvocationResult(string InvocationId, bool Succeeded, InvocationResponse? Response, string? Error);

/// <summary>One invocation in flight: the worker's raw answer first, then the whole outcome (outputs written).</summary>
internal sealed record Invocation(string InvocationId, Task<InvocationResponse> Answered, Task<InvocationResult> Completed);

/// <summary>
/// Sends invocations to the current worker, applies queue outputs after success, prints <c>Executing</c> /
/// <c>Executed</c> lines like the real host and raises <see cref="LocalFunctionsHost.InvocationCompleted"/>.
/// </summary>
internal sealed class FunctionInvoker(HostContext context, QueueOutputs outputs, Func<CancellationToken, Task<WorkerSession>> currentSession, Action<InvocationCompletedEventArgs> completed)
{
    public Task<WorkerSession> GetSessionAsync(CancellationToken cancellationToken) => currentSession(cancellationToken);

    /// <param name="function">The function.</param>
    /// <param name="session">The worker to send it to.</param>
    /// <param name="request">The request; its ids and trace context are filled in here.</param>
    /// <param name="reason">The reason the Executing line gives.</param>
    /// <param name="beforeOutputs">For HTTP: the forwarded response, which finishes before outputs are written.</param>
    /// <param name="sendDelay">Tests only: how long to hold the InvocationRequest back.</param>
    /// <param name="cancellationToken">Cancels the invocation (the caller went away); the worker gets InvocationCancel.</param>
    public Invocation Start(FunctionDescription function, WorkerSession session, InvocationRequest request, string reason, Task? beforeOutputs, TimeSpan sendDelay, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.InvocationId))
        {
            request.InvocationId = Guid.NewGuid().ToString();
        }

        var id = request.InvocationId;
        request.FunctionId = session.Functions.TryGetValue(function.Name, out var metadata) ? metadata.FunctionId : function.Metadata.FunctionId;
        request.TraceContext ??= new RpcTraceContext { TraceParent = Activity.Current?.Id ?? $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-00", TraceState = "" };
        var answered = new TaskCompletionSource<InvocationResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var completedTask = RunAsync(function, session, request, reason, beforeOutputs, sendDelay, answered, cancellationToken);
        return new Invocation(id, answered.Task, completedTask);
    }

    /// <summary>
    /// As the real host after a function timeout: a worker that has not answered the cancelled invocation within the
    /// grace period is restarted (killing it fails its other in-flight invocations; queue messages become visible again).
    /// </summary>
    private async Task RestartIfStuckAsync(WorkerSession session, Task answeredLate, string invocationId)
    {
        var grace = context.Options.FunctionTimeoutGracePeriod;
        if (await Task.WhenAny(answeredLate, Task.Delay(grace, TimeProvider.System)).ConfigureAwait(false) == answeredLate || session.Ended.IsCompleted)
        {
            return;
        }

        context.Output.Line($"Restarting the worker (pid {session.Process.Id}) that is executing invocation '{invocationId}' and timed out.");
        session.Abandon($"invocation {invocationId} timed out and the worker did not end it within {grace.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s");
    }

    private async Task<InvocationResult> RunAsync(
        FunctionDescription function, WorkerSession session, InvocationRequest request, string reason, Task? beforeOutputs, TimeSpan sendDelay,
        TaskCompletionSource<InvocationResponse> answered, CancellationToken cancellationToken)
    {
        var id = request.InvocationId;
        context.Output.Line($"Executing 'Functions.{function.Name}' (Reason='{reason}', Id={id})");
        var clock = Stopwatch.StartNew();
        InvocationResult result;
        try
        {
            if (sendDelay > TimeSpan.Zero)
            {
                await Task.Delay(sendDelay, cancellationToken).ConfigureAwait(false);
            }

            var pending = session.Channel.InvokeAsync(request);
            InvocationResponse response;
            try
            {
                response = await pending.WaitAsync(context.HostJson.FunctionTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _ = RestartIfStuckAsync(session, session.Channel.TimeOut(id), id);
                throw new TimeoutException($"Timeout value of {context.HostJson.FunctionTimeout} was exceeded by function: Functions.{function.Name}");
            }
            catch (OperationCanceledException)
            {
                session.Channel.Cancel(id, "cancelled");
                throw;
            }

            answered.TrySetResult(response);
            if (response.Result?.Status == StatusResult.Types.Status.Success)
            {
                if (beforeOutputs is not null)
                {
                    await beforeOutputs.ConfigureAwait(false);
                }

                await outputs.WriteAsync(function, response, CancellationToken.None).ConfigureAwait(false);
                result = new InvocationResult(id, true, response, null);
            }
            else
            {
                var error = response.Result?.Exception is { } e ? $"{e.Type}: {e.Message}" : response.Result?.Status.ToString() ?? "no result";
                result = new InvocationResult(id, false, response, error);
            }
        }
        catch (Exception e) when (e is WorkerUnavailableException or TimeoutException or OperationCanceledException or Azure.RequestFailedException)
        {
            answered.TrySetException(e);
            result = new InvocationResult(id, false, null, e is OperationCanceledException ? "The invocation was cancelled." : e.Message);
        }

        clock.Stop();
        var outcome = result.Succeeded ? "Succeeded" : "Failed";
        var duration = ((long)clock.Elapsed.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        context.Output.Line($"Executed 'Functions.{function.Name}' ({outcome}, Id={id}, Duration={duration}ms)");
        if (!result.Succeeded)
        {
            context.Output.Line($"  {result.Error}");
        }

        completed(new InvocationCompletedEventArgs(function.Name, id, result.Succeeded, clock.Elapsed));
        return result;
    }
}
