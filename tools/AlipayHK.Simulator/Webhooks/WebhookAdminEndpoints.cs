using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.Inspection;

namespace AlipayHK.Simulator.Webhooks;

/// <summary>Trigger and inspect webhooks over /admin/webhooks (user ids masked, bodies not shown).</summary>
internal static class WebhookAdminEndpoints
{
    public static void Map(RouteGroupBuilder admin, WebhookSender sender, WebhookLog log)
    {
        admin.MapGet("/webhooks", () => Results.Ok(log.List().Select(View)));
        admin.MapGet("/webhooks/{id}", (string id) => log.Find(id) is { } delivery ? Results.Ok(View(delivery)) : Results.NotFound());
        admin.MapPost("/webhooks/membercard-create", (MemberCardCreateWebhook webhook, CancellationToken cancellationToken) =>
            StartAsync(() => sender.SendMemberCardCreateAsync(webhook, cancellationToken)));
        admin.MapPost("/webhooks/bill-notify", (Bill bill, CancellationToken cancellationToken) =>
            StartAsync(() => sender.SendBillNotifyAsync(bill, cancellationToken)));
    }

    private static async Task<IResult> StartAsync(Func<Task<WebhookDelivery>> start)
    {
        try
        {
            var delivery = await start().ConfigureAwait(false);
            return Results.Accepted($"/admin/webhooks/{delivery.Id}", View(delivery));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return Results.BadRequest(new { error = e.Message });
        }
    }

    internal static object View(WebhookDelivery delivery) => new
    {
        delivery.Id,
        delivery.Kind,
        target = delivery.Target.ToString(),
        user = Mask.UserId(delivery.UserId),
        delivery.State,
        delivery.MemberId,
        delivery.Attempts,
    };
}
