using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace AlipayHK.Simulator.Webhooks;

/// <summary>AlipayHK asking the merchant to create a membership (protocol §4 membercard/create).</summary>
public sealed class MemberCardCreateWebhook
{
    /// <summary>The AlipayHK user. Required.</summary>
    public string UserId { get; set; } = "";

    /// <summary>The user's mobile number (personal data: never shown by the simulator's listings).</summary>
    public string? MobileNo { get; set; }

    /// <summary>The user's e-mail address (personal data).</summary>
    public string? UserEmail { get; set; }

    /// <summary>Where the user asked for the card.</summary>
    public string? CreateCardChannel { get; set; } = "ALIPAYHK";

    /// <summary>More user fields configured for the merchant; sent as given.</summary>
    [JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)]
    public IDictionary<string, string> ExtraFields { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    internal JsonObject ToJson()
    {
        if (string.IsNullOrWhiteSpace(UserId))
        {
            throw new ArgumentException("A membercard/create webhook needs a userId.");
        }
        var json = new JsonObject { ["userId"] = UserId };
        if (!string.IsNullOrEmpty(MobileNo))
        {
            json["mobileNo"] = MobileNo;
        }
        if (!string.IsNullOrEmpty(UserEmail))
        {
            json["userEmail"] = UserEmail;
        }
        if (!string.IsNullOrEmpty(CreateCardChannel))
        {
            json["createCardChannel"] = CreateCardChannel;
        }
        foreach (var (name, value) in ExtraFields)
        {
            json[name] = value;
        }
        return json;
    }
}
