// The Functions app as a container app (kind: functionapp, native Azure Functions on Container Apps) on the
// serverless GPU profile. Storage connections are identity-based (AzureWebJobsStorage__*), the model share is
// mounted read-only at /mnt/models.
param location string
param tags object
param name string
@description('azd service name (azure.yaml); azd finds the app by this tag.')
param serviceName string
param environmentId string
param gpuProfileName string
param environmentStorageName string
param identityId string
param identityClientId string
param registryLoginServer string
@description('Image to run; empty on the first provision (azd deploy sets it), then a public placeholder runs.')
param imageName string = ''
param storageAccountName string
@secure()
param appInsightsConnectionString string
@description('Model version folder on the share: the app reads /mnt/models/<modelVersion>.')
param modelVersion string
@description('Use the tiny model baked into the image when /mnt/models/<modelVersion> has no manifest.json.')
param allowTinyModelFallback bool
@minValue(1)
@maxValue(64)
param maxConcurrency int
@minValue(0)
@maxValue(100)
param minReplicas int
@minValue(1)
@maxValue(100)
param maxReplicas int
@description('vCPUs per replica (the GPU profile\'s maximum: T4 8, A100 24).')
param cpu string
@description('Memory per replica, e.g. 56Gi (T4) or 220Gi (A100).')
param memory string
@description('Add an explicit KEDA azure-queue rule on gpt4roi-jobs (the platform also derives rules from the triggers).')
param enableQueueScaleRule bool
@minValue(1)
param queueLengthPerReplica int

var placeholder = empty(imageName)
// Both the placeholder (a Functions quickstart image) and the GPT4RoI image serve on 8080: the Functions host
// listens where ASPNETCORE_URLS says (the base images default to 80, which a non-root user may not bind). The
// port and the TCP probes do not depend on the image, because `azd deploy` later changes only the image.
var image = placeholder ? 'mcr.microsoft.com/azure-functions/dotnet8-quickstart-demo:1.0' : imageName
var port = 8080

var env = [
  {
    name: 'ASPNETCORE_URLS'
    value: 'http://+:${port}'
  }
  {
    name: 'FUNCTIONS_WORKER_RUNTIME'
    value: 'dotnet-isolated'
  }
  {
    name: 'AzureWebJobsStorage__accountName'
    value: storageAccountName
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AzureWebJobsStorage__clientId'
    value: identityClientId
  }
  {
    name: 'AZURE_CLIENT_ID'
    value: identityClientId
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    secretRef: 'appinsights-connection-string'
  }
  {
    name: 'Gpt4RoI__ModelPath'
    value: '/mnt/models/${modelVersion}'
  }
  {
    name: 'Gpt4RoI__MaxConcurrency'
    value: string(maxConcurrency)
  }
  {
    name: 'GPT4ROI_MODEL_FALLBACK'
    value: allowTinyModelFallback ? 'true' : 'false'
  }
]

var tcpProbes = [
  {
    type: 'Startup'
    tcpSocket: {
      port: port
    }
    initialDelaySeconds: 10
    periodSeconds: 30
    failureThreshold: 10 // up to ~5 minutes for the host to start listening
    timeoutSeconds: 5
  }
  {
    type: 'Liveness'
    tcpSocket: {
      port: port
    }
    periodSeconds: 30
    failureThreshold: 3
    timeoutSeconds: 5
  }
]
// Readiness on the app's anonymous health function (it loads the model on first call, so a replica takes
// traffic only once the model is loaded). Only with the GPT4RoI image: the placeholder has no such function.
var readinessProbe = {
  type: 'Readiness'
  httpGet: {
    path: '/api/health'
    port: port
  }
  initialDelaySeconds: 10
  periodSeconds: 10
  failureThreshold: 10
  timeoutSeconds: 60
}
var probes = placeholder ? tcpProbes : concat(tcpProbes, [readinessProbe])

var queueRule = {
  name: 'gpt4roi-jobs'
  custom: {
    type: 'azure-queue'
    metadata: {
      accountName: storageAccountName
      queueName: 'gpt4roi-jobs'
      queueLength: string(queueLengthPerReplica)
    }
    identity: identityId
  }
}

resource app 'Microsoft.App/containerApps@2025-07-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': serviceName
  })
  kind: 'functionapp'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: gpuProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: port
        transport: 'auto'
        allowInsecure: false
        traffic: [
          {
            latestRevision: true
            weight: 100
          }
        ]
      }
      registries: [
        {
          server: registryLoginServer
          identity: identityId
        }
      ]
      secrets: [
        {
          name: 'appinsights-connection-string'
          value: appInsightsConnectionString
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'functions'
          image: image
          env: env
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          probes: probes
          volumeMounts: [
            {
              volumeName: 'models'
              mountPath: '/mnt/models'
            }
          ]
        }
      ]
      volumes: [
        {
          name: 'models'
          storageType: 'AzureFile'
          storageName: environmentStorageName
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: enableQueueScaleRule ? [queueRule] : []
      }
    }
  }
}

output name string = app.name
output fqdn string = app.properties.configuration.ingress.fqdn
output url string = 'https://${app.properties.configuration.ingress.fqdn}'
