using System.Diagnostics;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace AlipayFunctions.Storage.Pipeline;

/// <summary>
/// The Azure.Core pipeline one client sends through: retries, logging and tracing from <see cref="StorageClientOptions"/>,
/// a pinned <c>x-ms-version</c>, then Shared Key or bearer-token authentication per attempt.
/// Failed responses become <see cref="StorageRequestException"/>.
/// </summary>
internal sealed class StoragePipeline
{
    /// <summary>The activity source for one activity per client operation (the HTTP activity comes from Azure.Core).</summary>
    internal static readonly ActivitySource ActivitySource = new("AlipayFunctions.Storage");

    private const string StorageScope = "https://storage.azure.com/.default";

    private readonly bool _tracing;
    private readonly string _clientName;

    public StoragePipeline(StorageAccount account, StorageClientOptions? options, string serviceVersion, bool isTableService, string clientName)
    {
        ArgumentNullException.ThrowIfNull(account);
        options ??= new StorageClientOptions();
        _tracing = options.Diagnostics.IsDistributedTracingEnabled;
        _clientName = clientName;

        HttpPipelinePolicy authentication = account.TokenCredential is not null
            ? new BearerTokenAuthenticationPolicy(account.TokenCredential, StorageScope)
            : new SharedKeyPolicy(account.AccountName, account.AccountKey!, options.TimeProvider, tableLite: isTableService);

        var pipelineOptions = new HttpPipelineOptions(options)
        {
            RequestFailedDetailsParser = StorageErrorParser.Instance,
        };
        pipelineOptions.PerCallPolicies.Add(new ServiceVersionPolicy(serviceVersion));
        pipelineOptions.PerRetryPolicies.Add(authentication);
        Pipeline = HttpPipelineBuilder.Build(pipelineOptions);
    }

    public HttpPipeline Pipeline { get; }

    public HttpMessage CreateMessage(RequestMethod method, Uri endpoint, ResponseClassifier? classifier = null)
    {
        var message = Pipeline.CreateMessage();
        if (classifier is not null)
        {
            message.ResponseClassifier = classifier;
        }

        message.Request.Method = method;
        message.Request.Uri.Reset(endpoint);
        return message;
    }

    /// <summary>Sends and returns the response; throws <see cref="StorageRequestException"/> when the classifier calls it an error.</summary>
    public async ValueTask<Response> SendAsync(HttpMessage message, string operation, CancellationToken cancellationToken)
    {
        using var activity = _tracing ? ActivitySource.StartActivity(string.Concat(_clientName, ".", operation), ActivityKind.Client) : null;
        activity?.SetTag("az.namespace", "Microsoft.Storage");
        activity?.SetTag("server.address", message.Request.Uri.Host);
        try
        {
            await Pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
            var response = message.Response;
            if (response.IsError)
            {
                throw new StorageRequestException(response);
            }

            return response;
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            activity.SetTag("error.type", ex is RequestFailedException { ErrorCode: { } code } ? code : ex.GetType().FullName);
            throw;
        }
    }

    private sealed class ServiceVersionPolicy(string version) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message) => message.Request.Headers.SetValue("x-ms-version", version);
    }
}
