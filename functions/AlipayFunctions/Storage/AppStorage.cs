namespace AlipayFunctions.Storage;

/// <summary>The queues and the table of the app: one place, so the triggers, the senders and the tools agree.</summary>
public static class AppStorage
{
    /// <summary>Bills to apply to members' balances.</summary>
    public const string BillsQueue = "bills";

    /// <summary>Members whose card is to be put into their wallet.</summary>
    public const string PassCreateQueue = "pass-create";

    /// <summary>Members whose card is to show their current balance.</summary>
    public const string PassSyncQueue = "pass-sync";

    /// <summary>The one table: a partition per user holding the member, their bills and their tokens.</summary>
    public const string LoyaltyTable = "loyalty";

    /// <summary>Every queue the app uses.</summary>
    public static readonly IReadOnlyList<string> Queues = [BillsQueue, PassCreateQueue, PassSyncQueue];

    /// <summary>The poison queue the Functions host moves a message to after its last failed delivery.</summary>
    public static string PoisonQueue(string queueName) => queueName + "-poison";
}
