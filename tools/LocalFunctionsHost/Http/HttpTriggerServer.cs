using System.Net;
using System.Text.Json;
using LocalFunctionsHost.Configuration;
using LocalFunctionsHost.Protocol;
using LocalFunctionsHost.Rpc;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Yarp.ReverseProxy.Forwarder;

namespace LocalFunctionsHost.Http;

/// <summary>
/// The HTTP listener: routes each request by the functions' <c>httpTrigger</c> bindings (ASP.NET Core routing, as the
/// real host), forwards it to the worker's <c>HttpUri</c> with <c>x-ms-invocation-id</c> while sending the
/// InvocationRequest, and relays the worker's answer. No route is a 404, a method the binding lacks a 405.
/// </summary>
internal sealed class HttpTriggerServer : IAsyncDisposable
{
    /// <summary>The real host's request body limit (<c>FUNCTIONS_REQUEST_BODY_SIZE_LIMIT</c>'s default, 100 MB).</summary>
    public const long MaxRequestBodySize = 104_857_600;

    /// <summary>How long a failed invocation's forwarded request may still take before the caller gets the host's 500.</summary>
    private static readonly TimeSpan FailedForwardGrace = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _client;

    private HttpTriggerServer(WebApplication app, HttpMessageInvoker client, Uri baseAddress)
    {
        _app = app;
        _client = client;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>The route template of a function: <c>{routePrefix}/{route ?? name}</c>.</summary>
    public static string RouteOf(FunctionDescription function, string routePrefix)
    {
        var route = (function.Trigger.Text("route") is { Length: > 0 } r ? r : function.Name).TrimStart('/');
        return routePrefix.Length == 0 ? route : $"{routePrefix}/{route}";
    }

    /// <summary>The allowed methods, upper case; empty allows every method.</summary>
    public static IReadOnlyList<string> MethodsOf(FunctionDescription function) =>
        function.Trigger.Raw["methods"] is System.Text.Json.Nodes.JsonArray methods
            ? methods.Select(m => m!.GetValue<string>().ToUpperInvariant()).ToList()
            : [];

    public static async Task<HttpTriggerServer> StartAsync(int port, IReadOnlyList<FunctionDescription> functions, FunctionInvoker invoker, HostContext context, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(HttpTriggerServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port);
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodySize;
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddRouting();
        builder.Services.AddHttpForwarder();
        var app = builder.Build();

        var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        });
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var requestConfig = new ForwarderRequestConfig { ActivityTimeout = context.HostJson.FunctionTimeout };
        // One throttle for every HTTP function, as the real host's one request queue.
        var throttle = new HttpThrottle(context.HostJson.MaxConcurrentRequests, context.HostJson.MaxOutstandingRequests);
        foreach (var function in functions)
        {
            var handler = new Forwarding(function, invoker, forwarder, client, requestConfig, context, throttle);
            var route = RouteOf(function, context.HostJson.RoutePrefix);
            var methods = MethodsOf(function);
            var endpoint = methods.Count == 0 ? app.Map(route, handler.HandleAsync) : app.MapMethods(route, methods, handler.HandleAsync);
            endpoint.WithDisplayName(function.Name);
        }

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            client.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            throw new LocalHostException($"Cannot listen on 127.0.0.1:{port}: {e.Message}", e);
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HttpTriggerServer(app, client, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }

    /// <summary>One function's requests.</summary>
    private sealed class Forwarding(FunctionDescription function, FunctionInvoker invoker, IHttpForwarder forwarder, HttpMessageInvoker client, ForwarderRequestConfig requestConfig, HostContext context, HttpThrottle throttle)
    {
        public async Task HandleAsync(HttpContext http)
        {
            if (!throttle.Enabled)
            {
                await ForwardAsync(http).ConfigureAwait(false);
                return;
            }

            HttpThrottle.Lease? lease;
            try
            {
                lease = await throttle.EnterAsync(http.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                // The caller went away while its request waited: it never reaches the worker.
                return;
            }

            if (lease is null)
            {
                // As the real host's HttpThrottleMiddleware: 429, the scale-out hint, no body.
                context.Output.Line($"Http request queue limit of {context.HostJson.MaxOutstandingRequests} has been exceeded.");
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                http.Response.Headers["X-FUNCTION-SCALEOUT"] = "1";
                return;
            }

            using (lease)
            {
                await ForwardAsync(http).ConfigureAwait(false);
            }
        }

        private async Task ForwardAsync(HttpContext http)
        {
            var aborted = http.RequestAborted;
            var session = await invoker.GetSessionAsync(aborted).ConfigureAwait(false);
            if (session.HttpUri is not { } workerUri)
            {
                http.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await http.Response.WriteAsync("The worker did not report an HttpUri: it does not use ASP.NET Core integration (ConfigureFunctionsWebApplication), which this host requires for HTTP triggers.", aborted).ConfigureAwait(false);
                return;
            }

            // Checked here, before the worker sees anything: Kestrel alone would only fail the body read mid-forward.
            if (http.Request.ContentLength > MaxRequestBodySize)
            {
                http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return;
            }

            var request = new InvocationRequest { InvocationId = Guid.NewGuid().ToString() };
            request.InputData.Add(new ParameterBinding { Name = function.Trigger.Name, Data = new TypedData { Http = new RpcHttp() } });
            request.TriggerMetadata["Query"] = new TypedData { Json = JsonSerializer.Serialize(http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString())) };
            request.TriggerMetadata["Headers"] = new TypedData { Json = JsonSerializer.Serialize(http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString())) };
            foreach (var (name, value) in http.Request.RouteValues)
            {
                if (value is not null)
                {
                    request.TriggerMetadata[name] = new TypedData { String = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "" };
                }
            }

            var skew = context.Options.HttpOrderSkew;
            var forwarded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var invocationStop = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            var invocation = invoker.Start(function, session, request, "This function was programmatically called via the host APIs.", forwarded.Task, skew > TimeSpan.Zero ? skew : TimeSpan.Zero, invocationStop.Token);
            using var forwardStop = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            _ = invocation.Answered.ContinueWith(
                t =>
                {
                    // The worker answers a failed invocation's request itself; if it does not, the caller still gets an answer.
                    if (!t.IsCompletedSuccessfully || t.Result.Result?.Status != StatusResult.Types.Status.Success)
                    {
                        try
                        {
                            forwardStop.CancelAfter(FailedForwardGrace);
                        }
                        catch (ObjectDisposedException)
                        {
                            // The request finished first.
                        }
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);

            try
            {
                if (skew < TimeSpan.Zero)
                {
                    await Task.Delay(-skew, aborted).ConfigureAwait(false);
                }

                var transformer = new InvocationTransformer(invocation, context.HostJson.FunctionTimeout);
                ForwarderError error;
                try
                {
                    error = await forwarder.SendAsync(http, workerUri.ToString(), client, requestConfig, transformer, forwardStop.Token).ConfigureAwait(false);
                }
                finally
                {
                    transformer.Finish();
                }

                if (error != ForwarderError.None)
                {
                    context.Output.Detail($"Forwarding invocation {invocation.InvocationId} to the worker failed: {error} {http.Features.Get<IForwarderErrorFeature>()?.Exception?.Message}");
                }

                if (error != ForwarderError.None && !http.Response.HasStarted && !aborted.IsCancellationRequested)
                {
                    // No answer can reach the caller through the worker any more: the invocation ends now, not at its timeout.
                    forwarded.TrySetResult();
                    await invocationStop.CancelAsync().ConfigureAwait(false);
                    var result = await invocation.Completed.ConfigureAwait(false);
                    if (error == ForwarderError.RequestBodyClient)
                    {
                        // The caller's body could not be read (a malformed chunk, a broken stream): the caller's fault,
                        // a 400 as YARP answers it, not the 500 of a failed function.
                        await WriteFailureAsync(http, invocation.InvocationId, "the request body could not be read", StatusCodes.Status400BadRequest).ConfigureAwait(false);
                    }
                    else
                    {
                        await WriteFailureAsync(http, invocation.InvocationId, result.Error ?? $"the worker's HTTP answer failed ({error})").ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                // The caller went away; the invocation is cancelled through the same token.
            }
            finally
            {
                forwarded.TrySetResult();
            }

            await invocation.Completed.ConfigureAwait(false);
        }

        public static async Task WriteFailureAsync(HttpContext http, string invocationId, string error, int status = StatusCodes.Status500InternalServerError)
        {
            http.Response.Clear();
            http.Response.StatusCode = status;
            http.Response.Headers["x-ms-invocation-id"] = invocationId;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync($"Invocation {invocationId} failed: {error}", http.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Adds the correlation header; turns a worker 5xx for a failed invocation into the host's 500 with the invocation id.</summary>
    private sealed class InvocationTransformer(Invocation invocation, TimeSpan functionTimeout) : HttpTransformer
    {
        /// <summary>Below the worker's Kestrel response buffer: a body this small is already written when its headers arrive.</summary>
        private const long SmallBody = 32 * 1024;

        private readonly Lock _gate = new();
        private bool _finished;

        /// <summary>Called when the forwarding is over, before the handler returns.</summary>
        public void Finish()
        {
            lock (_gate)
            {
                _finished = true;
            }
        }

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            // As the real host (ScriptInvocationRequestTransformer): YARP's default transforms first. They copy the
            // headers, drop the caller's Host and SET X-Forwarded-For (the address this listener accepted the
            // connection from), -Proto, -Host and -Prefix, so a caller's own X-Forwarded-* never reaches the worker.
            await HttpTransformer.Default.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
            proxyRequest.Headers.TryAddWithoutValidation("x-ms-invocation-id", invocation.InvocationId);
        }

        public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            // The worker answers a request whose function threw with its own status (often an empty 200): the caller
            // must get a 500 then. Waiting for the invocation's outcome is safe when the worker has little or nothing
            // left to write; a large or unbounded body streams at once (the function may still be writing it) and is
            // cut off if the invocation fails after all.
            if (proxyResponse is null)
            {
                // The worker did not answer (YARP reports the error; the handler answers 500).
                return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
            }

            if (proxyResponse.StatusCode >= HttpStatusCode.InternalServerError || proxyResponse.Content.Headers.ContentLength <= SmallBody)
            {
                try
                {
                    var answer = await invocation.Answered.WaitAsync(functionTimeout, cancellationToken).ConfigureAwait(false);
                    if (answer.Result?.Status != StatusResult.Types.Status.Success)
                    {
                        var result = await invocation.Completed.ConfigureAwait(false);
                        await Forwarding.WriteFailureAsync(httpContext, invocation.InvocationId, result.Error ?? "failed").ConfigureAwait(false);
                        return false;
                    }
                }
                catch (Exception e) when (e is WorkerUnavailableException or TimeoutException or OperationCanceledException)
                {
                    await Forwarding.WriteFailureAsync(httpContext, invocation.InvocationId, e.Message).ConfigureAwait(false);
                    return false;
                }
            }
            else
            {
                _ = invocation.Answered.ContinueWith(
                    t =>
                    {
                        if (!t.IsCompletedSuccessfully || t.Result.Result?.Status != StatusResult.Types.Status.Success)
                        {
                            lock (_gate)
                            {
                                // A finished request's context may already serve another request: never abort that.
                                if (!_finished)
                                {
                                    httpContext.Abort();
                                }
                            }
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }

            return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
        }
    }
}
