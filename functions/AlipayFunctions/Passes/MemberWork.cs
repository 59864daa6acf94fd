using System.Text.Json;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Storage;
using Azure.Storage.Queues;

namespace AlipayFunctions.Passes;

/// <summary>Queues card work for a member: one place that writes the pass-create and pass-sync messages.</summary>
internal static class MemberWork
{
    public static Task QueuePassCreationAsync(QueueServiceClient queues, string userId, string? tracerId, CancellationToken ct) =>
        queues.GetQueueClient(AppStorage.PassCreateQueue).SendMessageAsync(Serialize(userId, tracerId), cancellationToken: ct);

    public static Task QueuePassSyncAsync(QueueServiceClient queues, string userId, string? tracerId, TimeSpan delay, CancellationToken ct) =>
        queues.GetQueueClient(AppStorage.PassSyncQueue).SendMessageAsync(Serialize(userId, tracerId), visibilityTimeout: delay, cancellationToken: ct);

    /// <summary>Reads a member message; null when it is not one (a poison candidate).</summary>
    public static MemberMessage? Read(string body)
    {
        try
        {
            var message = JsonSerializer.Deserialize(body, MessageJsonContext.Default.MemberMessage);
            return string.IsNullOrEmpty(message?.UserId) ? null : message;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Serialize(string userId, string? tracerId) =>
        JsonSerializer.Serialize(new MemberMessage(userId, tracerId, MessageIds.New()), MessageJsonContext.Default.MemberMessage);
}
