// The Container Apps environment: a Consumption profile plus one serverless GPU profile, logs to Log Analytics,
// and the model share as environment storage (read-only).
param location string
param tags object
param environmentName string
param logAnalyticsName string
@description('Serverless GPU profile: T4 (NC8as-T4, 16 GB) or A100 (NC24-A100, 80 GB).')
@allowed([
  'T4'
  'A100'
])
param gpuProfile string
param gpuProfileName string = 'gpu'
param modelStorageAccountName string
param modelShareName string
param environmentStorageName string = 'models'

var workloadProfileTypes = {
  T4: 'Consumption-GPU-NC8as-T4'
  A100: 'Consumption-GPU-NC24-A100'
}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logAnalyticsName
}

resource modelStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: modelStorageAccountName
}

resource environment 'Microsoft.App/managedEnvironments@2025-07-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logAnalytics.properties.customerId
        sharedKey: logAnalytics.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
      {
        name: gpuProfileName
        workloadProfileType: workloadProfileTypes[gpuProfile]
      }
    ]
    zoneRedundant: false
  }
}

// The one place a storage key is used (see models-share.bicep): SMB mounts need it.
resource modelsStorage 'Microsoft.App/managedEnvironments/storages@2025-07-01' = {
  parent: environment
  name: environmentStorageName
  properties: {
    azureFile: {
      accountName: modelStorage.name
      accountKey: modelStorage.listKeys().keys[0].value
      shareName: modelShareName
      accessMode: 'ReadOnly'
    }
  }
}

output id string = environment.id
output name string = environment.name
output defaultDomain string = environment.properties.defaultDomain
output gpuProfileName string = gpuProfileName
output storageName string = modelsStorage.name
