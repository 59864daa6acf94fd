namespace LocalFunctionsHost;

/// <summary>A function the worker reported and the host serves.</summary>
/// <param name="Name">The function name (the worker's <c>Function</c> attribute).</param>
/// <param name="TriggerType">The trigger binding type: <c>httpTrigger</c>, <c>queueTrigger</c> or <c>timerTrigger</c>.</param>
/// <param name="Route">For HTTP triggers: the full route with the prefix, e.g. <c>api/items/{id}</c>.</param>
/// <param name="Methods">For HTTP triggers: the allowed methods, upper case; empty allows every method.</param>
/// <param name="QueueName">For queue triggers: the queue the host polls.</param>
public sealed record HostedFunction(string Name, string TriggerType, string? Route, IReadOnlyList<string> Methods, string? QueueName);

/// <summary>One finished invocation, as the host printed it.</summary>
public sealed class InvocationCompletedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public InvocationCompletedEventArgs(string functionName, string invocationId, bool succeeded, TimeSpan duration)
    {
        FunctionName = functionName;
        InvocationId = invocationId;
        Succeeded = succeeded;
        Duration = duration;
    }

    /// <summary>The function name.</summary>
    public string FunctionName { get; }

    /// <summary>The invocation id the host gave it.</summary>
    public string InvocationId { get; }

    /// <summary>Whether the worker reported success.</summary>
    public bool Succeeded { get; }

    /// <summary>From sending the invocation until its outcome was known.</summary>
    public TimeSpan Duration { get; }
}

/// <summary>The host could not start or run the worker; the message says why in one line.</summary>
public sealed class LocalHostException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LocalHostException()
    {
    }

    /// <summary>Creates the exception with its message.</summary>
    public LocalHostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and cause.</summary>
    public LocalHostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
