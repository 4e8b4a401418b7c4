// The container registry azd pushes the image to. Decision: the app's user-assigned identity pulls with
// AcrPull scoped to this registry only (besides its storage roles, scoped to its storage account); no admin
// credentials (adminUserEnabled false) and no anonymous pull (anonymousPullEnabled false). The functionapp
// module depends on this module's outputs, so the role assignment exists before the first image pull.
param location string
param tags object
param registryName string
param pullPrincipalId string

resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' = {
  name: registryName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, pullPrincipalId, acrPull)
  scope: registry
  properties: {
    principalId: pullPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
  }
}

output name string = registry.name
output loginServer string = registry.properties.loginServer
output pullRoleAssignmentId string = pull.id
