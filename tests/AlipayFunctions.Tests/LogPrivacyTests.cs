using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AlipayFunctions.Testing;
using AlipayFunctions.Tests.Infrastructure;
using AlipayHK.OpenApi.Signing;
using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.Faults;

namespace AlipayFunctions.Tests;

/// <summary>Logs never carry mobile numbers, e-mail addresses, tokens, signatures or keys.</summary>
[Collection(AzuriteFixture.CollectionName)]
public sealed class LogPrivacyTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_flow_full_of_personal_data_and_secrets_leaves_none_of_them_in_the_logs()
    {
        await using var app = await TestApp.StartAsync(azurite, new TestAppOptions { MinimumLogLevel = "Trace" });
        var secrets = new List<(string What, string Value)>();
        void Secret(string what, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                secrets.Add((what, value));
                var at = value.IndexOf("signature=", StringComparison.Ordinal);
                if (at >= 0)
                {
                    var encoded = value[(at + "signature=".Length)..];
                    secrets.Add((what + " (value)", encoded));
                    secrets.Add((what + " (decoded)", Uri.UnescapeDataString(encoded)));
                }
            }
        }

        // Brand Channel, with personal data in membercard/create, and failures that get logged with exceptions.
        app.Sim.Faults.Add(new FaultRule { Path = "createPass", Kind = FaultKind.UnknownException, Mode = FaultMode.NextN, Count = 1 });
        app.Sim.Faults.Add(new FaultRule { Path = "updatePass", Kind = FaultKind.BrokenSignature, Mode = FaultMode.NextN, Count = 1 });
        var user = TestApp.NewUserId();
        var billNo = $"LOG1-{Guid.NewGuid():N}"; // bill numbers are logged; these carry no user id
        var mobile = "8526" + TestApp.NewUserId("")[..7];
        var email = $"member.{Guid.NewGuid():N}@example.com";
        Secret("user id", user);
        Secret("mobile number", mobile);
        Secret("e-mail", email);
        var created = await app.PostWebhookAsync("membercard/create", TestApp.MemberCardJson(user, mobile, email), r => Secret("request signature", r.Headers.GetValues(AlipayHeaders.Signature).First()));
        created.AssertSignedSuccess();
        Secret("answer signature", created.Signature);
        var bill = await app.PostWebhookAsync("bill/notify", TestApp.BillJson(user, billNo, 8800), r => Secret("request signature", r.Headers.GetValues(AlipayHeaders.Signature).First()));
        bill.AssertSignedSuccess();
        Secret("answer signature", bill.Signature);
        var forged = await app.PostWebhookAsync("bill/notify", TestApp.BillJson(user, $"LOG2-{Guid.NewGuid():N}", 100), r =>
        {
            r.Headers.Remove(AlipayHeaders.Signature);
            r.Headers.TryAddWithoutValidation(AlipayHeaders.Signature, "algorithm=RSA256, keyVersion=1, signature=Zm9yZ2VkLXNpZ25hdHVyZS12YWx1ZQ%3D%3D");
        });
        Assert.Equal(401, forged.Status);
        Secret("forged signature", "Zm9yZ2VkLXNpZ25hdHVyZS12YWx1ZQ");
        await app.WaitForCardAsync(created.MemberId!, 88, user, TestApp.RetryTimeout); // through a createPass retry

        // Mini-app, with an auth code, AlipayHK tokens and a session token.
        var miniUser = TestApp.NewUserId();
        Secret("mini-app user id", miniUser);
        var code = app.Sim.State.Authorizations.IssueAuthCode(miniUser).AuthCode;
        Secret("auth code", code);
        using var authorized = await app.Http.PostAsJsonAsync("/miniapp/authorize", new { authCode = code });
        var session = JsonNode.Parse(await authorized.Content.ReadAsStringAsync())!["sessionToken"]!.GetValue<string>();
        Secret("session token", session);
        var tokens = (await app.Table.GetEntityAsync<Azure.Data.Tables.TableEntity>(miniUser, "token")).Value;
        Secret("access token", tokens.GetString("AccessToken"));
        Secret("refresh token", tokens.GetString("RefreshToken"));
        var batch = new BillBatchRequest { UserId = miniUser };
        batch.Bills.Add(new Bill { BillNo = $"LOGMA-{Guid.NewGuid():N}", Value = 500 });
        using var upload = new HttpRequestMessage(HttpMethod.Post, "/miniapp/bills") { Content = JsonContent.Create(new { batchNo = app.Sim.State.Bills.Add(batch).BatchNo }) };
        upload.Headers.TryAddWithoutValidation("Authorization", "Bearer " + session);
        using (var uploaded = await app.Http.SendAsync(upload))
        {
            uploaded.EnsureSuccessStatusCode();
        }
        await Eventually.UntilAsync(async () => (await app.MemberAsync(miniUser))?.Points == 5, "the mini-app bill to be applied");

        // The merchant key, in case anything dumps configuration.
        var keyBody = TestApp.MerchantPrivateKeyPem.Split('\n')[3];
        Secret("merchant private key", keyBody);

        var logs = app.Logs.AllText();
        Assert.True(app.Logs.Lines.Count > 20, "the flow logged too little for this test to mean anything");
        Assert.Contains(billNo, logs, StringComparison.Ordinal); // bill numbers are logged: the capture works
        // A message without a Tracer-Id (the forged webhook, an unsigned U from a fault) logs "none", not "(null)".
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains("Tracer-Id (null)", StringComparison.Ordinal));
        var leaks = secrets.Where(s => logs.Contains(s.Value, StringComparison.Ordinal)).Select(s => s.What).Distinct().ToList();
        Assert.True(leaks.Count == 0, "The logs carry: " + string.Join(", ", leaks) + "\n" +
            string.Join('\n', app.Logs.Lines.Where(l => secrets.Any(s => l.Contains(s.Value, StringComparison.Ordinal))).Take(5)));
    }
}
