using Azure.Core;

namespace AlipayFunctions.Storage;

/// <summary>
/// Options for the queue and table clients: retries, transport and diagnostics (logging, distributed tracing)
/// come from <see cref="ClientOptions"/>, as in the Azure SDKs.
/// </summary>
public class StorageClientOptions : ClientOptions
{
    /// <summary>Creates options with the Azure SDK defaults and storage's safe-to-log headers and query parameters.</summary>
    public StorageClientOptions()
    {
        // Only these are logged as they are; every other header and query value is redacted by Azure.Core
        // (Authorization, pop receipts, filters and continuation keys, which may carry user ids, stay redacted).
        foreach (var header in LoggedHeaders)
        {
            Diagnostics.LoggedHeaderNames.Add(header);
        }

        foreach (var parameter in LoggedQuery)
        {
            Diagnostics.LoggedQueryParameters.Add(parameter);
        }
    }

    /// <summary>The clock used for the <c>x-ms-date</c> request header. Defaults to the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    private static readonly string[] LoggedHeaders =
    [
        "x-ms-date", "x-ms-version", "x-ms-error-code", "x-ms-approximate-messages-count", "x-ms-time-next-visible",
        "DataServiceVersion", "MaxDataServiceVersion", "Prefer", "Preference-Applied", "Accept",
    ];

    private static readonly string[] LoggedQuery = ["comp", "restype", "numofmessages", "peekonly", "visibilitytimeout", "messagettl", "$top", "timeout"];
}
