namespace AlipayFunctions.Deployment;

/// <summary>One function the deployed app must have, as <c>functions.metadata</c> describes its trigger.</summary>
/// <param name="Name">The function name (<c>[Function("...")]</c>), also the name in logs and metrics.</param>
/// <param name="TriggerType"><c>httpTrigger</c>, <c>queueTrigger</c> or <c>timerTrigger</c>.</param>
/// <param name="Route">The HTTP route (without the empty route prefix), or null for other triggers.</param>
/// <param name="QueueName">The queue a queue function reads, or null for other triggers.</param>
/// <param name="Schedule">The NCRONTAB schedule of a timer function, or null for other triggers.</param>
public sealed record ExpectedFunction(string Name, string TriggerType, string? Route, string? QueueName, string? Schedule = null)
{
    /// <summary>
    /// An HTTP function: accepts POST, anonymous (AlipayHK and the mini-app send no function key). It may accept other
    /// methods too: the webhooks answer those themselves with a refusal in AlipayHK's format.
    /// </summary>
    public static ExpectedFunction Http(string name, string route) => new(name, FunctionContract.HttpTrigger, route, null);

    /// <summary>A queue function on <see cref="FunctionContract.StorageConnection"/>.</summary>
    public static ExpectedFunction Queue(string name, string queueName) => new(name, FunctionContract.QueueTrigger, null, queueName);

    /// <summary>A timer function on its NCRONTAB schedule.</summary>
    public static ExpectedFunction Timer(string name, string schedule) => new(name, FunctionContract.TimerTrigger, null, null, schedule);
}

/// <summary>
/// The functions the outside world depends on: the webhook routes registered with AlipayHK, the mini-app's routes,
/// and the queues the webhooks write (the names the infrastructure and the operator CLI use).
/// </summary>
public static class FunctionContract
{
    /// <summary>The trigger type of an HTTP function in functions.metadata.</summary>
    public const string HttpTrigger = "httpTrigger";

    /// <summary>The trigger type of a queue function in functions.metadata.</summary>
    public const string QueueTrigger = "queueTrigger";

    /// <summary>The trigger type of a timer function in functions.metadata.</summary>
    public const string TimerTrigger = "timerTrigger";

    /// <summary>The app setting (prefix) every queue trigger connects through.</summary>
    public const string StorageConnection = "AzureWebJobsStorage";

    /// <summary>
    /// Functions the app may have beside <see cref="Expected"/>, checked only for their route: the signing counters for
    /// the proof runs (<c>GET /diagnostics/counters</c>, 404 unless <c>Diagnostics:ExposeCounters</c> is true).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Optional { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["DiagnosticCounters"] = "diagnostics/counters",
    };

    /// <summary>The app's functions: seven that the outside world calls or feeds, and the reconciliation sweep.</summary>
    public static IReadOnlyList<ExpectedFunction> Expected { get; } =
    [
        ExpectedFunction.Http("MemberCardCreate", "{merchantTag}/points/membercard/create"),
        ExpectedFunction.Http("BillNotify", "{merchantTag}/points/bill/notify"),
        ExpectedFunction.Http("MiniAppAuthorize", "miniapp/authorize"),
        ExpectedFunction.Http("MiniAppBills", "miniapp/bills"),
        ExpectedFunction.Queue("ApplyBill", "bills"),
        ExpectedFunction.Queue("CreatePass", "pass-create"),
        ExpectedFunction.Queue("SyncPass", "pass-sync"),
        ExpectedFunction.Timer("Reconcile", "0 */5 * * * *"),
    ];
}
