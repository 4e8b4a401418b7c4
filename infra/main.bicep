// GPT4RoI.Functions on Azure Container Apps serverless GPUs (azd: azure.yaml at the repository root).
// docs/operations.md walks through a deployment; `bicep build` and `bicep lint` run in scripts/test-all.sh.
targetScope = 'resourceGroup'

@description('azd environment name; part of every resource name.')
@minLength(1)
@maxLength(40)
param environmentName string

@description('Region. Only regions with serverless GPUs for both T4 and A100 profiles (Microsoft Learn, "Using serverless GPUs in Azure Container Apps", Supported regions). westus (A100 only) and westeurope (T4 only) are left out on purpose.')
@allowed([
  'westus3'
  'australiaeast'
  'swedencentral'
])
param location string

@description('Serverless GPU: T4 (Consumption-GPU-NC8as-T4) or A100 (Consumption-GPU-NC24-A100). Needs GPU quota in the region.')
@allowed([
  'T4'
  'A100'
])
param gpuProfile string = 'T4'

@description('Minimum replicas. 0 = scale to zero (no GPU cost when idle, cold start on the next request or job); 1 = always warm.')
@minValue(0)
@maxValue(100)
param minReplicas int = 0

@description('Maximum replicas (one GPU each): the ceiling on GPU cost and on GPU quota used.')
@minValue(1)
@maxValue(100)
param maxReplicas int = 2

@description('Graph runs at once per replica (Gpt4RoI__MaxConcurrency); 1 for one GPU.')
@minValue(1)
@maxValue(64)
param maxConcurrency int = 1

@description('Model version folder on the models share; the app reads /mnt/models/<modelVersion>.')
param modelVersion string = 'current'

@description('Serve the tiny model baked into the image while /mnt/models/<modelVersion> holds no model. Set false once a real model is uploaded, so a wrong path fails the start instead.')
param allowTinyModelFallback bool = true

@description('Add an explicit KEDA azure-queue scale rule on gpt4roi-jobs.')
param enableQueueScaleRule bool = false

@description('Queued jobs per replica before the queue rule adds one.')
@minValue(1)
param queueLengthPerReplica int = 5

@description('Image set by azd deploy (SERVICE_API_IMAGE_NAME); empty on the first provision.')
param apiImageName string = ''

@description('Optional: the principal running azd (AZURE_PRINCIPAL_ID), given blob/queue data access to upload manifests and read results.')
param principalId string = ''

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Models share quota (GiB).')
param modelShareQuotaGiB int = 256

var serviceName = 'api'
var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, location))
var abbr = take(toLower(replace(environmentName, '-', '')), 8)
var appInsightsName = 'appi-${environmentName}-${token}'
var tags = {
  'azd-env-name': environmentName
  application: 'gpt4roi-functions'
}

var gpuResources = {
  T4: {
    cpu: '8'
    memory: '56Gi'
  }
  A100: {
    cpu: '24'
    memory: '220Gi'
  }
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${environmentName}-${token}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${environmentName}-${token}'
    appInsightsName: appInsightsName
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    storageAccountName: take('st${abbr}${token}', 24)
    appPrincipalId: identity.properties.principalId
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
  }
}

module modelShare 'modules/models-share.bicep' = {
  name: 'model-share'
  params: {
    location: location
    tags: tags
    storageAccountName: take('stm${abbr}${token}', 24)
    shareQuotaGiB: modelShareQuotaGiB
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    location: location
    tags: tags
    registryName: take('cr${abbr}${token}', 50)
    pullPrincipalId: identity.properties.principalId
  }
}

module environment 'modules/environment.bicep' = {
  name: 'environment'
  params: {
    location: location
    tags: tags
    environmentName: 'cae-${environmentName}-${token}'
    logAnalyticsName: monitoring.outputs.logAnalyticsName
    gpuProfile: gpuProfile
    modelStorageAccountName: modelShare.outputs.name
    modelShareName: modelShare.outputs.shareName
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
  dependsOn: [
    monitoring
  ]
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    tags: tags
    name: take('ca-${abbr}-${token}', 32)
    serviceName: serviceName
    environmentId: environment.outputs.id
    gpuProfileName: environment.outputs.gpuProfileName
    environmentStorageName: environment.outputs.storageName
    identityId: identity.id
    identityClientId: identity.properties.clientId
    registryLoginServer: registry.outputs.loginServer
    imageName: apiImageName
    storageAccountName: storage.outputs.name
    appInsightsConnectionString: appInsights.properties.ConnectionString
    modelVersion: modelVersion
    allowTinyModelFallback: allowTinyModelFallback
    maxConcurrency: maxConcurrency
    minReplicas: minReplicas
    maxReplicas: maxReplicas
    cpu: gpuResources[gpuProfile].cpu
    memory: gpuResources[gpuProfile].memory
    enableQueueScaleRule: enableQueueScaleRule
    queueLengthPerReplica: queueLengthPerReplica
  }
}

// azd reads these (upper-case names become azd environment values).
output AZURE_LOCATION string = location
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name
output AZURE_CONTAINER_APPS_ENVIRONMENT_NAME string = environment.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.properties.clientId
output SERVICE_API_NAME string = functionApp.outputs.name
output APP_URL string = functionApp.outputs.url
output HEALTH_ENDPOINT string = '${functionApp.outputs.url}/api/health'
output QUERY_ENDPOINT string = '${functionApp.outputs.url}/api/query'
output SESSIONS_ENDPOINT string = '${functionApp.outputs.url}/api/sessions'
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output MODEL_STORAGE_ACCOUNT_NAME string = modelShare.outputs.name
output MODEL_SHARE_NAME string = modelShare.outputs.shareName
output MODEL_PATH string = '/mnt/models/${modelVersion}'
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
output LOG_ANALYTICS_NAME string = monitoring.outputs.logAnalyticsName
