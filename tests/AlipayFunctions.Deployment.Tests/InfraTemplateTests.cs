using System.Text.Json.Nodes;

namespace AlipayFunctions.Deployment.Tests;

/// <summary>
/// infra/main.bicep as Azure receives it: built and linted with the Bicep CLI (any diagnostic fails), then the
/// COMPILED template (ARM JSON) checked for what least privilege depends on: the exact roles of the app's identity,
/// basic-auth publishing off, the vault's audit log, the runtime, the optional private endpoints.
/// </summary>
[Collection(CompiledTemplateGroup.Name)]
public sealed class InfraTemplateTests(CompiledTemplateFixture fixture)
{
    /// <summary>Built-in role definition ids (the same in every tenant), as Microsoft's built-in roles page lists them.</summary>
    private static readonly Dictionary<string, string> BuiltinRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Storage Blob Data Owner",
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Storage Queue Data Contributor",
        ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Storage Table Data Contributor",
        ["4633458b-17de-408a-b874-0445c86b69e6"] = "Key Vault Secrets User",
        ["3913510d-42f4-4e42-8a64-420c390055eb"] = "Monitoring Metrics Publisher",
        // Listed so that a regression names them; none may be granted.
        ["12338af0-0e69-4776-bea7-57ae8d297424"] = "Key Vault Crypto User",
        ["14b46e9e-c2b7-41b4-b07b-48a6ebf60603"] = "Key Vault Crypto Officer",
        ["00482a5a-887f-4fb3-b363-3b7fe8e74483"] = "Key Vault Administrator",
        ["ba92f5b4-2d11-453d-a403-e96b0029c9fe"] = "Storage Blob Data Contributor",
    };

    [Fact]
    public void Bicep_builds_the_template_without_a_diagnostic()
    {
        Assert.True(fixture.Build.ExitCode == 0 && fixture.Build.Diagnostics.Length == 0,
            $"bicep build exited with {fixture.Build.ExitCode}:\n{fixture.Build.Diagnostics}");
    }

    [Fact]
    public void Bicep_lint_finds_nothing()
    {
        Assert.True(fixture.Lint.ExitCode == 0 && fixture.Lint.Diagnostics.Length == 0,
            $"bicep lint exited with {fixture.Lint.ExitCode}:\n{fixture.Lint.Diagnostics}");
    }

    [Fact]
    public void The_signing_role_allows_exactly_sign_and_read_on_keys()
    {
        var definition = Assert.Single(Resources("Microsoft.Authorization/roleDefinitions"));
        var properties = definition["properties"]!;
        Assert.Equal("customRole", (string?)properties["type"]);
        var permissions = Assert.Single(properties["permissions"]!.AsArray())!;
        Assert.Equal(
            ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/sign/action"],
            Strings(permissions["dataActions"]).Order(StringComparer.Ordinal));
        Assert.Empty(Strings(permissions["actions"]));
        Assert.Empty(Strings(permissions["notActions"]));
        Assert.Empty(Strings(permissions["notDataActions"]));
        // Assignable in the deployment's resource group only.
        Assert.Equal(["[resourceGroup().id]"], Strings(properties["assignableScopes"]));
    }

    [Fact]
    public void The_apps_identity_has_exactly_these_roles_at_these_scopes()
    {
        var grants = Resources("Microsoft.Authorization/roleAssignments")
            .Select(a => (Scope: ScopeType((string)a["scope"]!), Role: RoleOf((string)a["properties"]!["roleDefinitionId"]!)))
            .Order()
            .ToList();
        (string, string)[] expected =
        [
            ("Microsoft.Insights/components", "Monitoring Metrics Publisher"),
            ("Microsoft.KeyVault/vaults/keys", "custom signer"),
            ("Microsoft.KeyVault/vaults/secrets", "Key Vault Secrets User"),
            ("Microsoft.Storage/storageAccounts", "Storage Blob Data Owner"),
            ("Microsoft.Storage/storageAccounts", "Storage Queue Data Contributor"),
            ("Microsoft.Storage/storageAccounts", "Storage Table Data Contributor"),
        ];
        Assert.Equal(expected.Order(), grants);

        // Every assignment is to the app's user-assigned identity.
        Assert.All(Resources("Microsoft.Authorization/roleAssignments"), a =>
            Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", (string)a["properties"]!["principalId"]!, StringComparison.Ordinal));
    }

    [Fact]
    public void Basic_auth_publishing_is_off_for_ftp_and_scm()
    {
        var policies = Resources("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        Assert.Equal(2, policies.Count);
        Assert.Equal(
            ["[format('{0}/{1}', variables('functionAppName'), 'ftp')]", "[format('{0}/{1}', variables('functionAppName'), 'scm')]"],
            policies.Select(p => (string)p["name"]!).Order(StringComparer.Ordinal));
        Assert.All(policies, p => Assert.False((bool)p["properties"]!["allow"]!));
        Assert.Equal("Disabled", (string?)Site()["properties"]!["siteConfig"]!["ftpsState"]);
    }

    [Fact]
    public void Every_Key_Vault_operation_is_audited_to_the_workspace()
    {
        var setting = Assert.Single(Resources("Microsoft.Insights/diagnosticSettings"));
        Assert.Contains("'Microsoft.KeyVault/vaults'", (string)setting["scope"]!, StringComparison.Ordinal);
        var properties = setting["properties"]!;
        Assert.Contains("'Microsoft.OperationalInsights/workspaces'", (string)properties["workspaceId"]!, StringComparison.Ordinal);
        // Resource-specific table AZKVAuditLogs, which the workbook queries.
        Assert.Equal("Dedicated", (string?)properties["logAnalyticsDestinationType"]);
        var audit = Assert.Single(properties["logs"]!.AsArray(), l => (string?)l!["category"] == "AuditEvent")!;
        Assert.True((bool)audit["enabled"]!);
    }

    [Fact]
    public void The_app_runs_the_dotnet_isolated_10_worker_on_Flex_Consumption()
    {
        var properties = Site()["properties"]!;
        var runtime = properties["functionAppConfig"]!["runtime"]!;
        Assert.Equal("dotnet-isolated", (string?)runtime["name"]);
        Assert.Equal("10.0", (string?)runtime["version"]);
        Assert.Equal("UserAssignedIdentity", (string?)properties["functionAppConfig"]!["deployment"]!["storage"]!["authentication"]!["type"]);
        var plan = Assert.Single(Resources("Microsoft.Web/serverfarms"));
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
    }

    [Fact]
    public void Storage_takes_Entra_ID_tokens_only_and_is_zone_redundant_by_default()
    {
        var storage = Assert.Single(Resources("Microsoft.Storage/storageAccounts"));
        Assert.False((bool)storage["properties"]!["allowSharedKeyAccess"]!);
        Assert.Equal("[if(parameters('zoneRedundantStorage'), 'Standard_ZRS', 'Standard_LRS')]", (string?)storage["sku"]!["name"]);
        Assert.True((bool)Parameter("zoneRedundantStorage")["defaultValue"]!);
    }

    [Fact]
    public void The_mini_app_secret_and_its_role_exist_only_with_the_channel()
    {
        Assert.Equal("[not(empty(parameters('miniAppId')))]", (string?)Template["variables"]!["miniAppOn"]);
        var secret = Assert.Single(Resources("Microsoft.KeyVault/vaults/secrets"));
        Assert.Equal("[variables('miniAppOn')]", (string?)secret["condition"]);
        // Required when the channel is on: the deployment fails instead of the app's start-up.
        Assert.Contains("fail(", (string)secret["properties"]!["value"]!, StringComparison.Ordinal);
        var secretRole = Assert.Single(Resources("Microsoft.Authorization/roleAssignments"), a => ScopeType((string)a["scope"]!) == "Microsoft.KeyVault/vaults/secrets");
        Assert.Equal("[variables('miniAppOn')]", (string?)secretRole["condition"]);
        Assert.Equal("", (string?)Parameter("miniAppSessionSecret")["defaultValue"]);
        Assert.Equal("securestring", (string?)Parameter("miniAppSessionSecret")["type"]);
    }

    [Fact]
    public void Private_networking_puts_storage_and_the_vault_behind_private_endpoints_and_keeps_the_webhooks_public()
    {
        Assert.False((bool)Parameter("privateNetworking")["defaultValue"]!);
        var endpoints = Assert.Single(Resources("Microsoft.Network/privateEndpoints"));
        Assert.Equal("[parameters('privateNetworking')]", (string?)endpoints["condition"]);
        var targets = Template["variables"]!["privateEndpoints"]!.AsArray().Select(e => (string)e!["name"]!).Order(StringComparer.Ordinal);
        Assert.Equal(["blob", "queue", "table", "vault"], targets);

        foreach (var type in new[] { "Microsoft.Storage/storageAccounts", "Microsoft.KeyVault/vaults" })
        {
            var properties = Assert.Single(Resources(type))["properties"]!;
            Assert.Equal("[if(parameters('privateNetworking'), 'Disabled', 'Enabled')]", (string?)properties["publicNetworkAccess"]);
            Assert.Equal("[if(parameters('privateNetworking'), 'Deny', 'Allow')]", (string?)properties["networkAcls"]!["defaultAction"]);
        }

        var site = Site()["properties"]!;
        Assert.Equal("Enabled", (string?)site["publicNetworkAccess"]);
        Assert.StartsWith("[if(parameters('privateNetworking')", (string?)site["virtualNetworkSubnetId"], StringComparison.Ordinal);
        var vnet = Assert.Single(Resources("Microsoft.Network/virtualNetworks"));
        var delegation = vnet["properties"]!["subnets"]!.AsArray()
            .SelectMany(s => s!["properties"]!["delegations"]?.AsArray() ?? [])
            .Select(d => (string?)d!["properties"]!["serviceName"]);
        Assert.Equal(["Microsoft.App/environments"], delegation);
    }

    [Fact]
    public void The_example_parameters_file_sets_every_required_parameter_and_no_unknown_or_secret_one()
    {
        var example = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "infra", "main.parameters.example.json")))!["parameters"]!.AsObject();
        var parameters = Template["parameters"]!.AsObject();
        var unknown = example.Select(p => p.Key).Where(k => !parameters.ContainsKey(k)).ToList();
        Assert.True(unknown.Count == 0, "main.parameters.example.json sets parameters main.bicep does not have: " + string.Join(", ", unknown));
        var required = parameters.Where(p => p.Value!["defaultValue"] is null).Select(p => p.Key).Where(k => !example.ContainsKey(k)).ToList();
        Assert.True(required.Count == 0, "main.parameters.example.json lacks required parameters: " + string.Join(", ", required));
        // Secrets go on the command line, never into a file.
        Assert.DoesNotContain(example, p => (string?)parameters[p.Key]!["type"] == "securestring");
    }

    private JsonObject Template => fixture.Template ?? throw new InvalidOperationException("bicep build failed:\n" + fixture.Build.Diagnostics);

    private IEnumerable<JsonNode> Resources(string type) => Template["resources"]!.AsArray()
        .Where(r => string.Equals((string?)r!["type"], type, StringComparison.OrdinalIgnoreCase))!;

    private JsonNode Site() => Assert.Single(Resources("Microsoft.Web/sites"));

    private JsonNode Parameter(string name) => Template["parameters"]![name] ?? throw new InvalidOperationException("No parameter " + name);

    private static IEnumerable<string> Strings(JsonNode? array) => array?.AsArray().Select(n => (string)n!) ?? [];

    /// <summary>The resource type a <c>scope</c> expression points at (<c>resourceId('Type', ...)</c>).</summary>
    private static string ScopeType(string scope)
    {
        const string marker = "resourceId('";
        var start = scope.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, "Unexpected scope expression " + scope);
        start += marker.Length;
        return scope[start..scope.IndexOf('\'', start)];
    }

    /// <summary>
    /// The role a <c>roleDefinitionId</c> expression grants: the custom signer role (by the name expression of the
    /// template's one role definition), or a built-in role through the template's <c>roles</c> variable and its id.
    /// </summary>
    private string RoleOf(string roleDefinitionId)
    {
        var customRoleName = ((string)Assert.Single(Resources("Microsoft.Authorization/roleDefinitions"))["name"]!).Trim('[', ']');
        if (roleDefinitionId == $"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', {customRoleName})]")
        {
            return "custom signer";
        }
        const string marker = "variables('roles').";
        var start = roleDefinitionId.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, "Unexpected roleDefinitionId " + roleDefinitionId);
        var key = new string(roleDefinitionId[(start + marker.Length)..].TakeWhile(char.IsLetterOrDigit).ToArray());
        var id = (string?)Template["variables"]!["roles"]![key] ?? throw new InvalidOperationException("No role " + key + " in the roles variable");
        return BuiltinRoles.TryGetValue(id, out var name) ? name : "unknown built-in role " + id;
    }
}
