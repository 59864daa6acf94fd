using System.Text.Json;
using AlipayFunctions.Loyalty;
using AlipayFunctions.Passes;
using AlipayFunctions.Storage;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace AlipayHK.Cli.Poison;

/// <summary>Reads the app's queue messages (the app's own types and JSON context) and finds a user's poisoned work.</summary>
internal static class PoisonMessages
{
    public static BillMessage? ReadBill(string body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, MessageJsonContext.Default.BillMessage) is { UserId.Length: > 0 } bill ? bill : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static MemberMessage? ReadMember(string body) => MemberWork.Read(body);

    /// <summary>
    /// The poison messages that concern <paramref name="userId"/>, by queue (peek: the first 32 of each poison queue;
    /// <c>NotChecked</c> counts those beyond).
    /// </summary>
    public static async Task<(List<(string Queue, PeekedMessage Message)> Found, int NotChecked)> FindAsync(QueueServiceClient queues, string userId, CancellationToken ct)
    {
        var found = new List<(string, PeekedMessage)>();
        var notChecked = 0;
        foreach (var name in AppStorage.Queues)
        {
            var client = queues.GetQueueClient(AppStorage.PoisonQueue(name));
            if (!(await client.ExistsAsync(ct).ConfigureAwait(false)).Value)
            {
                continue;
            }
            var count = (await client.GetPropertiesAsync(ct).ConfigureAwait(false)).Value.ApproximateMessagesCount;
            PeekedMessage[] messages = (await client.PeekMessagesAsync(32, ct).ConfigureAwait(false)).Value;
            notChecked += Math.Max(0, count - messages.Length);
            foreach (var message in messages)
            {
                var body = message.Body.ToString();
                var owner = name == AppStorage.BillsQueue ? ReadBill(body)?.UserId : ReadMember(body)?.UserId;
                if (owner == userId)
                {
                    found.Add((name, message));
                }
            }
        }
        return (found, notChecked);
    }
}
