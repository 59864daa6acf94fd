// AlipayFunctions on Azure: the custom-handler function app on Flex Consumption, its storage (identity-based access
// only), the merchant signing key in Key Vault (non-exportable, sign/verify only), a user-assigned identity with
// least-privilege roles, and Application Insights on a Log Analytics workspace.
//
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json
//
// Deploy the code afterwards with tools/publish.sh and `az functionapp deploy` (README "Deploy").
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

@description('The mall mini-app id (mini-app channel; empty when the channel is not used).')
param miniAppId string = ''

@description('The auth client id for the mini-app\'s applyToken calls (empty when the channel is not used).')
param miniAppAuthClientId string = ''

@description('The mall group label for the mini-app\'s bill queries.')
param mallGroupLabel string = ''

@description('The mall label for the mini-app\'s bill queries.')
param mallLabel string = ''

@description('The mini-app session token secret: at least 32 random bytes, base64 (openssl rand -base64 32). Stored in Key Vault only.')
@secure()
@minLength(44)
param miniAppSessionSecret string

@description('Pin signing to this Key Vault key version (after a rotation). Empty: the version created with the key.')
param signingKeyVaultKeyVersion string = ''

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

// The app's queues (AlipayFunctions.Hosting.AppStorage) and the poison queues the Functions host moves failed
// messages to, and its one table. Created here so that no runtime identity needs to create them.
var appQueues = ['bills', 'pass-create', 'pass-sync']
var allQueues = concat(appQueues, map(appQueues, q => '${q}-poison'))
var loyaltyTableName = 'loyalty'

// Built-in role definitions (ids are the same in every tenant).
var roles = {
  keyVaultCryptoUser: '12338af0-0e69-4776-bea7-57ae8d297424'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// ---------------------------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------------------------

// One user-assigned identity for everything the app does: the host's storage, the handler's queues and table,
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
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false // no account keys, no SAS: Entra ID tokens only
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled' // Flex Consumption without a virtual network reaches storage over its public endpoint
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
    publicNetworkAccess: 'Enabled'
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

resource sessionSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: sessionSecretName
  tags: tags
  properties: {
    value: miniAppSessionSecret
    contentType: 'base64, 32+ random bytes'
  }
}

// The signer uses a pinned key version: AlipayHK holds the public key of one version under one key-version, so a
// new Key Vault version must not be used before AlipayHK has its public key.
var signingKeyId = empty(signingKeyVaultKeyVersion) ? signingKey.properties.keyUriWithVersion : '${signingKey.properties.keyUri}/${signingKeyVaultKeyVersion}'

// ---------------------------------------------------------------------------------------------------------------
// Monitoring
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

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${toLower(baseName)}-${suffix}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true // telemetry only with an Entra ID token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Role assignments: least privilege, each at the narrowest scope the service allows
// ---------------------------------------------------------------------------------------------------------------

// Sign (keys/sign/action) and read the public half (keys/read), on this one key only: not on the vault, so the
// identity cannot use any other key, nor create, delete, rotate or export one.
resource signingKeyRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: signingKey
  name: guid(signingKey.id, identity.id, roles.keyVaultCryptoUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultCryptoUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Read this one secret, for the MiniApp__SessionSecret Key Vault reference (resolved by the platform with
// keyVaultReferenceIdentity).
resource sessionSecretRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: sessionSecret
  name: guid(sessionSecret.id, identity.id, roles.keyVaultSecretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The Functions host's own storage (AzureWebJobsStorage): it creates and writes its containers (host locks and
// leases, keys) and Flex Consumption reads the app package from the deployment container with this identity.
// Microsoft documents Storage Blob Data Owner on the account for AzureWebJobsStorage; the host creates its
// containers itself, so a container-scoped grant would not do. The account holds no other blobs.
resource blobOwnerRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Queues, used by both sides: the handler sends to bills, pass-create and pass-sync and moves unprocessable messages
// to the -poison queues; the Functions host's queue triggers receive and delete, create the -poison queues when
// missing, and the scale controller reads queue lengths. Account scope because the host's queue trigger needs it
// there (it lists and creates queues); the account holds only this app's queues.
resource queueContributorRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, identity.id, roles.storageQueueDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The points ledger (the loyalty table): read, insert, merge, entity-group transactions. Account scope because the
// handler's start-up creates the table if it is missing (POST /Tables, authorized at the table service, not at an
// existing table); the account holds no other table, so this grants nothing beyond the loyalty table.
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
// The function app: Flex Consumption, custom handler
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
// tests/AlipayFunctions.Deployment.Tests reads the names in this array and checks them against the settings the app
// reads: keep one `name: '...'` per entry. Flex Consumption takes the runtime from functionAppConfig, so
// FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION are not set (Flex rejects them).
var appSettings = [
  // The host's and the handler's storage, identity-based (no connection string; the account has no keys).
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
  // DefaultAzureCredential (the Key Vault signer) picks this user-assigned identity.
  {
    name: 'AZURE_CLIENT_ID'
    value: identity.properties.clientId
  }
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
    value: '@Microsoft.KeyVault(SecretUri=${sessionSecret.properties.secretUri})'
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
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: appSettings
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
        name: 'custom' // a custom handler: host.json names the executable
        version: '1.0'
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
  ]
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
