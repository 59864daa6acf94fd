// AlipayFunctions on Azure: the .NET isolated-worker function app on Flex Consumption, its storage (identity-based
// access only, zone-redundant by default), the merchant signing key in Key Vault (non-exportable, sign/verify only,
// every use audited), a user-assigned identity with least-privilege roles, Application Insights on a Log Analytics
// workspace, alerts and a workbook; optionally storage and Key Vault behind private endpoints.
//
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json
//
// Deploy the code afterwards with `dotnet publish` and `az functionapp deploy` (README "Deploy").
targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------------------------

@description('Short name the resource names start with (lowercase letters and digits).')
@minLength(3)
@maxLength(11)
param baseName string

@description('Region for every resource; must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

@description('Tags put on every resource.')
param tags object = {}

@description('Flex Consumption instance memory in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Flex Consumption scale-out limit (the platform allows 40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Log Analytics retention in days.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('AlipayHK OpenAPI base URL: https://open.alipay.hk, or the sandbox AlipayHK gave you.')
param alipayBaseUrl string = 'https://open.alipay.hk'

@description('The Client-Id AlipayHK issued to the merchant.')
param alipayClientId string

@description('The merchant id AlipayHK issued.')
param alipayMerchantId string

@description('The key version registered with AlipayHK for the merchant public key in Key Vault (Signature header key-version). Change it together with signingKeyVaultKeyVersion when rotating.')
param alipayKeyVersion string = '1'

@description('AlipayHK\'s platform public key (base64 SubjectPublicKeyInfo or PEM), to verify webhooks and answers.')
param alipayPlatformPublicKey string

@description('The {merchantTag} path segment registered with AlipayHK in the webhook URLs.')
param merchantTag string

@description('The member card template code.')
param templateCode string

@description('Points per currency, e.g. HKD:100:1 (1 point per HKD 1.00).')
param earnRules string = 'HKD:100:1'

@description('The template variable that shows the points balance on the card.')
param pointsVariable string = '$points$'

@description('The mall mini-app id. The mini-app channel is on only when this is set; then miniAppSessionSecret is required.')
param miniAppId string = ''

@description('The auth client id for the mini-app\'s applyToken calls (empty when the channel is not used).')
param miniAppAuthClientId string = ''

@description('The mall group label for the mini-app\'s bill queries.')
param mallGroupLabel string = ''

@description('The mall label for the mini-app\'s bill queries.')
param mallLabel string = ''

@description('The mini-app session token secret, required when miniAppId is set: at least 32 random bytes, base64 (openssl rand -base64 32). Stored in Key Vault only; ignored when the channel is off.')
@secure()
param miniAppSessionSecret string = ''

@description('Pin signing to this Key Vault key version (after a rotation). Empty: the version created with the key.')
param signingKeyVaultKeyVersion string = ''

@description('Zone-redundant storage (Standard_ZRS): the ledger and the queues survive the loss of one availability zone. Set false in a region without availability zones (Standard_LRS).')
param zoneRedundantStorage bool = true

@description('Put storage and Key Vault behind private endpoints in a new virtual network that the app joins (VNet integration). The webhooks stay public: AlipayHK must reach them.')
param privateNetworking bool = false

@description('Address space of the virtual network (privateNetworking only): a /24 for the app\'s integration subnet and a /24 for the private endpoints are taken from its start.')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('E-mail address the alerts go to. Empty: the alerts still fire and show in the portal, but notify nobody.')
param alertEmail string = ''

@description('Refused or invalid webhooks within 5 minutes that raise the "refused webhooks" alert (AlipayHK itself is refused only by a configuration or clock problem; a burst is usually someone probing).')
@minValue(1)
param refusedWebhooksThreshold int = 20

// ---------------------------------------------------------------------------------------------------------------
// Names and constants
// ---------------------------------------------------------------------------------------------------------------

var suffix = uniqueString(resourceGroup().id, baseName)
var storageAccountName = take('st${toLower(baseName)}${suffix}', 24)
var keyVaultName = take('kv-${toLower(baseName)}-${suffix}', 24)
var functionAppName = 'func-${toLower(baseName)}-${suffix}'
var deploymentContainerName = 'app-package'
var signingKeyName = 'alipayhk-merchant'
var sessionSecretName = 'miniapp-session-secret'
var miniAppOn = !empty(miniAppId)

// The app's queues (AlipayFunctions.Hosting.AppStorage) and the poison queues the Functions host moves failed
// messages to, and its one table. Created here so that no runtime identity needs to create them.
var appQueues = ['bills', 'pass-create', 'pass-sync']
var allQueues = concat(appQueues, map(appQueues, q => '${q}-poison'))
var loyaltyTableName = 'loyalty'

// Built-in role definitions (ids are the same in every tenant).
var roles = {
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// ---------------------------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------------------------

// One user-assigned identity for everything the app does: the host's storage, the worker's queues and table,
// signing, the Key Vault reference and telemetry. User-assigned, so its roles exist before the app first starts.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-${toLower(baseName)}-${suffix}'
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------------------------
// Storage: identity-based access only
// ---------------------------------------------------------------------------------------------------------------

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: zoneRedundantStorage ? 'Standard_ZRS' : 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false // no account keys, no SAS: Entra ID tokens only
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Without privateNetworking, Flex Consumption reaches storage over its public endpoint (still Entra ID only).
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
      bypass: 'None'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

// Flex Consumption deploys from a package in this container (functionAppConfig.deployment).
resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-01-01' = [for queue in allQueues: {
  parent: queueService
  name: queue
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource loyaltyTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: loyaltyTableName
}

// ---------------------------------------------------------------------------------------------------------------
// Key Vault: the merchant signing key (never leaves the vault) and the mini-app session secret
// ---------------------------------------------------------------------------------------------------------------

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true // roles, not access policies: each grant scoped to one key or secret
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true // a deleted signing key can be recovered, never purged early
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
      bypass: 'None'
    }
  }
}

// RSA-2048 with sign/verify only, not exportable: the private key exists only inside Key Vault. Redeploying returns
// the existing key; it does not create a new version (rotation is an explicit operator step, README "Key rotation").
resource signingKey 'Microsoft.KeyVault/vaults/keys@2024-11-01' = {
  parent: vault
  name: signingKeyName
  tags: tags
  properties: {
    kty: 'RSA'
    keySize: 2048
    keyOps: [
      'sign'
      'verify'
    ]
    attributes: {
      enabled: true
      exportable: false
    }
  }
}

// Only when the mini-app channel is on. A missing or short secret stops the deployment here rather than the app's
// start-up later (44 base64 characters are 32 bytes).
resource sessionSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (miniAppOn) {
  parent: vault
  name: sessionSecretName
  tags: tags
  properties: {
    value: !miniAppOn || length(miniAppSessionSecret) >= 44 ? miniAppSessionSecret : fail('miniAppId is set, so miniAppSessionSecret is required: at least 32 random bytes, base64 (openssl rand -base64 32).')
    contentType: 'base64, 32+ random bytes'
  }
}

// The signer uses a pinned key version: AlipayHK holds the public key of one version under one key-version, so a
// new Key Vault version must not be used before AlipayHK has its public key.
var signingKeyId = empty(signingKeyVaultKeyVersion) ? signingKey.properties.keyUriWithVersion : '${signingKey.properties.keyUri}/${signingKeyVaultKeyVersion}'

// ---------------------------------------------------------------------------------------------------------------
// Monitoring: the workspace, Application Insights on it, the vault's audit log
// ---------------------------------------------------------------------------------------------------------------

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${toLower(baseName)}-${suffix}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
  }
}

// The worker's OpenTelemetry metrics (meter AlipayFunctions) reach this resource through the Azure Monitor exporter
// (on when APPLICATIONINSIGHTS_CONNECTION_STRING is set) and land in its customMetrics table: one row per instrument,
// attribute set and export interval, `name` the instrument name, the attributes in customDimensions; counters as the
// interval's sum (valueSum), histograms as valueCount/valueSum/valueMin/valueMax, gauges as the last value.
resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${toLower(baseName)}-${suffix}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true // telemetry only with an Entra ID token (the managed identity)
  }
}

// Every use of the vault, each signature included (OperationName KeySign), with the caller's identity: the record
// of what the merchant key signed and when. Resource-specific table AZKVAuditLogs.
resource vaultAudit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: vault
  name: 'audit-to-log-analytics'
  properties: {
    workspaceId: workspace.id
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        category: 'AuditEvent'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Role assignments: least privilege, each at the narrowest scope the service allows
// ---------------------------------------------------------------------------------------------------------------

// Sign with the merchant key and read its public half, nothing else: the built-in Key Vault Crypto User would also
// allow update, backup, encrypt, decrypt, wrap and unwrap. Assignable in this resource group only.
resource keySignerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, baseName, 'alipayhk-merchant-key-signer')
  properties: {
    roleName: 'AlipayHK merchant key signer (${toLower(baseName)}-${suffix})'
    description: 'Sign with a Key Vault key and read its public key; no other key operation.'
    type: 'customRole'
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.KeyVault/vaults/keys/sign/action'
          'Microsoft.KeyVault/vaults/keys/read'
        ]
        notDataActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

// On this one key only: not on the vault, so the identity cannot use any other key, nor create, delete, rotate or
// export one.
resource signingKeyRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: signingKey
  name: guid(signingKey.id, identity.id, keySignerRole.id)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keySignerRole.name)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Read this one secret, for the MiniApp__SessionSecret Key Vault reference (resolved by the platform with
// keyVaultReferenceIdentity). Only with the mini-app channel.
resource sessionSecretRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (miniAppOn) {
  scope: sessionSecret
  name: guid(resourceId('Microsoft.KeyVault/vaults/secrets', vault.name, sessionSecretName), identity.id, roles.keyVaultSecretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The Functions host's own storage (AzureWebJobsStorage): it creates and writes its containers (host locks, the
// timer trigger's schedule and singleton leases, keys) and Flex Consumption reads the app package from the
// deployment container with this identity. Microsoft documents Storage Blob Data Owner on the account as the
// host's minimum; the host creates its containers itself, so a container-scoped grant would not do. The account
// holds no other blobs.
resource blobOwnerRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Queues, used by both sides: the worker sends to bills, pass-create and pass-sync; the host's queue triggers
// receive, delete and move messages to the -poison queues (creating them when missing), and the scale controller
// reads queue lengths. Account scope because the queue trigger needs it there (it creates the poison queues); the
// account holds only this app's queues.
resource queueContributorRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageQueueDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The points ledger (the loyalty table: read, insert, merge, entity-group transactions) and the host's diagnostic
// events table. Account scope because both create their table when it is missing (POST /Tables, authorized at the
// table service); the account holds no other table.
resource tableContributorRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Send telemetry to this Application Insights resource only (local auth is disabled on it).
resource telemetryRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: appInsights
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Private networking (optional): storage and Key Vault reachable only from the app's virtual network
// ---------------------------------------------------------------------------------------------------------------

var appSubnetPrefix = cidrSubnet(vnetAddressPrefix, 24, 0)
var endpointSubnetPrefix = cidrSubnet(vnetAddressPrefix, 24, 1)

// One private endpoint per storage service the app and the host use, and one for the vault, each with its
// privatelink DNS zone so that the usual host names resolve to the private addresses inside the network.
var privateEndpoints = [
  {
    name: 'blob'
    target: storage.id
    zone: 'privatelink.blob.${environment().suffixes.storage}'
  }
  {
    name: 'queue'
    target: storage.id
    zone: 'privatelink.queue.${environment().suffixes.storage}'
  }
  {
    name: 'table'
    target: storage.id
    zone: 'privatelink.table.${environment().suffixes.storage}'
  }
  {
    name: 'vault'
    target: vault.id
    zone: 'privatelink.vaultcore.azure.net'
  }
]

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = if (privateNetworking) {
  name: 'vnet-${toLower(baseName)}-${suffix}'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        vnetAddressPrefix
      ]
    }
    subnets: [
      {
        // Flex Consumption VNet integration: a subnet delegated to Microsoft.App/environments, used by this app only.
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: endpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource privateDnsZones 'Microsoft.Network/privateDnsZones@2024-06-01' = [for endpoint in privateEndpoints: if (privateNetworking) {
  name: endpoint.zone
  location: 'global'
  tags: tags
}]

resource privateDnsLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [for (endpoint, i) in privateEndpoints: if (privateNetworking) {
  parent: privateDnsZones[i]
  name: 'vnet'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}]

resource endpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [for endpoint in privateEndpoints: if (privateNetworking) {
  name: 'pe-${endpoint.name}-${toLower(baseName)}-${suffix}'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: '${vnet.id}/subnets/private-endpoints'
    }
    privateLinkServiceConnections: [
      {
        name: endpoint.name
        properties: {
          privateLinkServiceId: endpoint.target
          groupIds: [
            endpoint.name
          ]
        }
      }
    ]
  }
}]

resource endpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [for (endpoint, i) in privateEndpoints: if (privateNetworking) {
  parent: endpoints[i]
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: endpoint.name
        properties: {
          privateDnsZoneId: privateDnsZones[i].id
        }
      }
    ]
  }
}]

// ---------------------------------------------------------------------------------------------------------------
// The function app: Flex Consumption, .NET isolated worker
// ---------------------------------------------------------------------------------------------------------------

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: 'plan-${toLower(baseName)}-${suffix}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true // Linux
  }
}

// App settings. Names use __ for the : of .NET configuration keys (AlipayHK__ClientId is AlipayHK:ClientId).
// tests/AlipayFunctions.Deployment.Tests reads the names in the arrays appSettings and miniAppSettings and checks
// them against the settings the app reads: keep one `name: '...'` per entry. Flex Consumption takes the runtime from
// functionAppConfig, so FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION are not set (Flex rejects them).
var appSettings = [
  // The host's and the worker's storage clients, identity-based (no connection string; the account has no keys).
  {
    name: 'AzureWebJobsStorage__accountName'
    value: storage.name
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AzureWebJobsStorage__clientId'
    value: identity.properties.clientId
  }
  // DefaultAzureCredential (the Key Vault signer, the Azure Monitor exporter) picks this user-assigned identity.
  {
    name: 'AZURE_CLIENT_ID'
    value: identity.properties.clientId
  }
  // The host's telemetry and the worker's Azure Monitor exporter (customMetrics); both authenticate with the identity.
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: appInsights.properties.ConnectionString
  }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  }
  {
    name: 'Signing__Mode'
    value: 'KeyVault'
  }
  {
    name: 'Signing__KeyVaultKeyId'
    value: signingKeyId
  }
  {
    name: 'AlipayHK__BaseUrl'
    value: alipayBaseUrl
  }
  {
    name: 'AlipayHK__ClientId'
    value: alipayClientId
  }
  {
    name: 'AlipayHK__MerchantId'
    value: alipayMerchantId
  }
  {
    name: 'AlipayHK__KeyVersion'
    value: alipayKeyVersion
  }
  {
    name: 'AlipayHK__PlatformPublicKey'
    value: alipayPlatformPublicKey
  }
  {
    name: 'Webhooks__MerchantTag'
    value: merchantTag
  }
  {
    name: 'Loyalty__TemplateCode'
    value: templateCode
  }
  {
    name: 'Loyalty__EarnRules'
    value: earnRules
  }
  {
    name: 'Loyalty__PointsVariable'
    value: pointsVariable
  }
]

// The mini-app channel's settings, set only when the channel is on (miniAppId given).
var miniAppSettings = [
  {
    name: 'MiniApp__AppId'
    value: miniAppId
  }
  {
    name: 'MiniApp__AuthClientId'
    value: miniAppAuthClientId
  }
  {
    name: 'MiniApp__MallGroupLabel'
    value: mallGroupLabel
  }
  {
    name: 'MiniApp__MallLabel'
    value: mallLabel
  }
  // A Key Vault reference: the secret never appears in the app settings or the deployment history.
  {
    name: 'MiniApp__SessionSecret'
    value: '@Microsoft.KeyVault(SecretUri=${sessionSecret.?properties.secretUri ?? ''})'
  }
]

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: functionAppName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    // The webhooks stay reachable from the internet (AlipayHK calls them); with privateNetworking only the app's
    // outbound traffic (storage, Key Vault) goes through the virtual network.
    publicNetworkAccess: 'Enabled'
    virtualNetworkSubnetId: privateNetworking ? '${vnet.id}/subnets/app' : null
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat(appSettings, miniAppOn ? miniAppSettings : [])
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
  // The host needs its storage, the signer its key and the Key Vault reference its secret from the first start.
  dependsOn: [
    deploymentContainer
    queues
    loyaltyTable
    blobOwnerRole
    queueContributorRole
    tableContributorRole
    signingKeyRole
    sessionSecretRole
    telemetryRole
    endpointDns
    privateDnsLinks
  ]
}

// No FTP and no basic-auth (user name and password) publishing to the SCM site: deployments authenticate with
// Entra ID (az functionapp deploy does).
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Alerts and the workbook (on the app's metrics in customMetrics and the vault's audit log)
// ---------------------------------------------------------------------------------------------------------------

resource alertGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-${toLower(baseName)}-${suffix}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('alipay${toLower(baseName)}', 12)
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var alertActions = empty(alertEmail) ? [] : [alertGroup.id]

// A message in a poison queue waits for an operator (README "Operating": alipayhk poison list / replay). The app
// reports each poison queue's length as the gauge queue.poison.length (dimension queue).
resource poisonAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-poison-${toLower(baseName)}-${suffix}'
  location: location
  tags: tags
  properties: {
    displayName: 'AlipayFunctions ${baseName}: messages in a poison queue'
    description: 'A queue message failed every delivery and waits in <queue>-poison. Fix the cause, then alipayhk poison replay.'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "queue.poison.length" | extend queue = tostring(customDimensions["queue"]) | summarize poisoned = max(value) by queue'
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'poisoned'
          dimensions: [
            {
              name: 'queue'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: alertActions
    }
  }
}

// Webhooks refused (bad signature, wrong client id, stale request, ...) or invalid, counted by alipayhk.webhooks
// with every outcome other than the accepted ones.
resource refusedWebhooksAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-refused-${toLower(baseName)}-${suffix}'
  location: location
  tags: tags
  properties: {
    displayName: 'AlipayFunctions ${baseName}: burst of refused webhooks'
    description: 'Many webhooks refused or invalid within 5 minutes: someone probing the endpoints, or AlipayHK signing with a key or client id the app does not expect (check AlipayHK:PlatformPublicKey and the clock).'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "alipayhk.webhooks" | extend outcome = tostring(customDimensions["outcome"]) | where outcome !in ("queued", "created", "existing") | summarize refused = sum(valueSum)'
          timeAggregation: 'Total'
          metricMeasureColumn: 'refused'
          operator: 'GreaterThanOrEqual'
          threshold: refusedWebhooksThreshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: alertActions
    }
  }
}

// The operator's view (infra/workbook.json, editable in the portal and exported back): webhooks by outcome, queue
// age and poison counts, AlipayHK calls by result code, signatures per second (the app's count and the vault's
// audit log), cards behind their balance, the sweep's findings.
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, baseName, 'alipayfunctions-workbook')
  location: location
  tags: union(tags, {
    'hidden-title': 'AlipayFunctions (${baseName})'
  })
  kind: 'shared'
  properties: {
    displayName: 'AlipayFunctions (${baseName})'
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: replace(replace(loadTextContent('workbook.json'), '__APP_INSIGHTS_ID__', appInsights.id), '__WORKSPACE_ID__', workspace.id)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------------------------

output functionAppName string = functionApp.name
output functionAppHostName string = functionApp.properties.defaultHostName
output storageAccountName string = storage.name
output keyVaultName string = vault.name

@description('Register with AlipayHK: membership card creation webhook.')
output memberCardCreateUrl string = 'https://${functionApp.properties.defaultHostName}/${merchantTag}/points/membercard/create'

@description('Register with AlipayHK: payment (bill) notification webhook.')
output billNotifyUrl string = 'https://${functionApp.properties.defaultHostName}/${merchantTag}/points/bill/notify'

@description('The Key Vault key the app signs with (Signing__KeyVaultKeyId).')
output signingKeyId string = signingKeyId

@description('How to read the public key to register with AlipayHK (base64 SubjectPublicKeyInfo).')
output publicKeyHint string = 'az keyvault key download --id ${signingKeyId} --encoding DER --file merchant-public.der && base64 -w0 merchant-public.der'

@description('The operator workbook (Azure portal: Monitor > Workbooks, or this resource id).')
output workbookId string = workbook.id
