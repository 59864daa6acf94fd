using System.Text.Json.Nodes;
using AlipayHK.Simulator.Authorization;
using AlipayHK.Simulator.Protocol;

namespace AlipayHK.Simulator.Bills;

/// <summary>bill/query (protocol §4; the answer is not public: the subject plus bills shaped like bill/notify).</summary>
internal sealed class BillQueryApi(BillBatchStore batches, AuthorizationStore authorizations)
{
    public ApiEndpoint Endpoint => new("billQuery", ApiPaths.BillQuery, Query);

    private ApiAnswer Query(JsonObject body)
    {
        var subject = JsonFields.RequiredObject(body, "businessDistrictSubject");
        var batchNo = JsonFields.RequiredString(body, "batchNo");
        var accessToken = JsonFields.RequiredString(body, "accessToken");
        JsonFields.OptionalString(body, "appId");

        var userId = authorizations.ResolveAccessToken(accessToken)
            ?? throw new SimulatedFailureException(ResultCodes.InvalidAccessToken, "The accessToken is unknown or expired.");
        var batch = batches.Find(batchNo);
        if (batch is null || batch.UserId != userId)
        {
            // Another user's batch answers exactly like a missing one: nothing leaks across users.
            throw new SimulatedFailureException(ResultCodes.BatchNotExist, "No batch with this batchNo for this user.");
        }
        return ApiAnswer.Success(new JsonObject
        {
            ["businessDistrictSubject"] = subject.DeepClone(),
            ["batchNo"] = batch.BatchNo,
            ["bills"] = new JsonArray([.. batch.Bills.Select(b => (JsonNode)b.DeepClone())]),
        });
    }
}
