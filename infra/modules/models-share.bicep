// A separate storage account for the model files: one Azure Files share ('models'), mounted read-only into the
// app at /mnt/models. Container Apps mounts Azure Files (SMB) with the account key, and SMB key access needs
// allowSharedKeyAccess: true, so this account is kept apart from the app's keyless storage account. The key is
// used in exactly one place: the managed environment's storage definition (environment.bicep), a write-only
// property; it is never in the app's settings, secrets or connection strings.
param location string
param tags object
param storageAccountName string
param shareName string = 'models'
@description('Share quota in GiB.')
@minValue(1)
@maxValue(102400)
param shareQuotaGiB int = 256

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: true // SMB mounts in Container Apps authenticate with the account key
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
  }
}

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2024-01-01' = {
  parent: storage
  name: 'default'
}

resource share 'Microsoft.Storage/storageAccounts/fileServices/shares@2024-01-01' = {
  parent: fileService
  name: shareName
  properties: {
    shareQuota: shareQuotaGiB
    enabledProtocols: 'SMB'
    accessTier: 'TransactionOptimized'
  }
}

output name string = storage.name
output id string = storage.id
output shareName string = share.name
