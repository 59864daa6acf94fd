using System.Net;
using AlipayHK.Simulator.Bills;
using AlipayHK.Simulator.Faults;
using AlipayHK.Simulator.Passes;
using AlipayHK.Simulator.Protocol;

namespace AlipayHK.Simulator.Inspection;

/// <summary>
/// The /admin JSON endpoints: inspect the state, mint auth codes, add bill batches, set faults, rotate the platform
/// key. They have no authentication, so they answer loopback callers only, and only under a loopback <c>Host</c>
/// (127.0.0.1, localhost, [::1]): a page in the developer's browser that reaches them through DNS rebinding sends its
/// own host name and is refused. <see cref="SimulatorOptions.AllowRemoteAdmin"/> lifts both checks.
/// Listings mask user ids and never show tokens.
/// </summary>
internal static class AdminEndpoints
{
    public static RouteGroupBuilder Map(WebApplication app, SimulatorOptions options, SimulatorKeys keys, SimulatorState state, FaultRules faults)
    {
        var admin = app.MapGroup("/admin");
        admin.AddEndpointFilter(async (context, next) =>
            IsAdminCaller(context.HttpContext, options)
                ? await next(context).ConfigureAwait(false)
                : Results.Problem("The admin endpoints answer loopback callers using a loopback Host only.", statusCode: StatusCodes.Status403Forbidden));

        admin.MapGet("/info", (HttpContext context) => Results.Ok(new
        {
            baseUrl = $"{context.Request.Scheme}://{context.Request.Host}/",
            clientId = options.ClientId,
            merchantId = options.MerchantId,
            keyVersion = keys.PlatformSigner.KeyVersion,
            platformPublicKey = keys.PlatformPublicKey,
        }));

        admin.MapGet("/calls", () => Results.Ok(state.Calls.List()));

        admin.MapGet("/passes", () => Results.Ok(state.Passes.List().Select(PassView)));
        admin.MapGet("/passes/{passId}", (string passId) =>
            state.Passes.Find(passId) is { } pass ? Results.Ok(PassView(pass)) : Results.NotFound());

        admin.MapGet("/templates", () => Results.Ok(state.Templates.List()));
        admin.MapPost("/templates", (TemplateOptions template) =>
        {
            try
            {
                state.Templates.Upsert(template);
                return Results.Ok(template);
            }
            catch (ArgumentException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });

        admin.MapPost("/authcodes", (AuthCodeRequest request) =>
        {
            if (string.IsNullOrWhiteSpace(request.UserId))
            {
                return Results.BadRequest(new { error = "userId is required." });
            }
            var code = state.Authorizations.IssueAuthCode(request.UserId);
            return Results.Ok(new { authCode = code.AuthCode, expiresAt = code.ExpiresAt });
        });

        admin.MapPost("/bills/batches", (BillBatchRequest request) =>
        {
            try
            {
                var batch = state.Bills.Add(request);
                return Results.Ok(new { batchNo = batch.BatchNo, bills = batch.Bills.Count });
            }
            catch (ArgumentException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });

        admin.MapPost("/platform-key/rotate", (PlatformKeyRotation? request) =>
        {
            try
            {
                var publicKey = keys.RotatePlatformKey(request?.PrivateKeyPem, request?.KeyVersion);
                return Results.Ok(new { platformPublicKey = publicKey, keyVersion = keys.PlatformSigner.KeyVersion });
            }
            catch (ArgumentException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });

        admin.MapGet("/circle-stores", () => Results.Ok(state.CircleStores.List()));

        admin.MapGet("/faults", () => Results.Ok(faults.List()));
        admin.MapPost("/faults", (FaultRule rule) =>
        {
            try
            {
                return Results.Ok(faults.Add(rule));
            }
            catch (ArgumentException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });
        admin.MapDelete("/faults", () =>
        {
            faults.Clear();
            return Results.NoContent();
        });
        admin.MapDelete("/faults/{id}", (string id) => faults.Remove(id) ? Results.NoContent() : Results.NotFound());

        app.MapGet("/", (HttpContext context) =>
            IsAdminCaller(context, options)
                ? Results.Content(StatusPage.Render(options, keys, state, faults), "text/html; charset=utf-8")
                : Results.StatusCode(StatusCodes.Status403Forbidden));
        return admin;
    }

    private static object PassView(PassSnapshot pass) => new
    {
        pass.PassId,
        pass.TemplateCode,
        pass.BizSerialId,
        user = Mask.UserId(pass.UserId ?? pass.OpenId),
        pass.Status,
        pass.DataInfo,
        pass.UpdateCount,
        pass.CreatedAt,
        pass.UpdatedAt,
    };

    private static bool IsAdminCaller(HttpContext context, SimulatorOptions options) =>
        options.AllowRemoteAdmin || (IsLoopback(context.Connection.RemoteIpAddress) && IsLoopbackHost(context.Request.Host.Host));

    private static bool IsLoopback(IPAddress? address) => address is not null && IPAddress.IsLoopback(address);

    // The Host header's name (any port): a rebinding page sends its own name, which resolves to 127.0.0.1 only for it.
    private static bool IsLoopbackHost(string? host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || host is "127.0.0.1" or "[::1]" or "::1";

    /// <summary>The body of <c>POST /admin/platform-key/rotate</c> (optional): a new key and key version.</summary>
    public sealed record PlatformKeyRotation(string? PrivateKeyPem, string? KeyVersion);

    /// <summary>The body of <c>POST /admin/authcodes</c>.</summary>
    public sealed record AuthCodeRequest(string UserId);
}
