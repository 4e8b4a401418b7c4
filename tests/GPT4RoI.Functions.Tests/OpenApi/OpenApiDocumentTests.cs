using System.Text.Json;
using System.Text.Json.Nodes;
using GPT4RoI.Core.Contracts;
using GPT4RoI.Core.Errors;
using GPT4RoI.Functions.Sessions;
using GPT4RoI.Functions.Tests.Hosting;
using GPT4RoI.TestSupport;

namespace GPT4RoI.Functions.Tests.OpenApi;

/// <summary>The OpenAPI document against the code, so neither can change without the other.</summary>
public sealed class OpenApiDocumentTests
{
    private static readonly string[] HttpMethods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    /// <summary>The schemas that are contract types, serialised with <see cref="ContractJson.Options"/>.</summary>
    public static TheoryData<string, Type> ContractSchemas => new()
    {
        { "QueryRequest", typeof(QueryRequest) },
        { "TurnRequest", typeof(TurnRequest) },
        { "GenerationSettings", typeof(GenerationSettings) },
        { "RegionInfo", typeof(RegionInfo) },
        { "ImageSummary", typeof(ImageSummary) },
        { "ModelInfo", typeof(ModelInfo) },
        { "TurnResult", typeof(TurnResult) },
        { "QueryAnswer", typeof(QueryAnswer) },
        { "ErrorInfo", typeof(ErrorInfo) },
        { "SessionRegion", typeof(SessionRegion) },
        { "SessionTurn", typeof(SessionTurn) },
        { "SessionImageInfo", typeof(SessionImageInfo) },
        { "SessionCustomStatus", typeof(SessionCustomStatus) },
        { "DescribeRequest", typeof(DescribeRequest) },
        { "DescribeResult", typeof(DescribeResult) },
        { "DescribedObject", typeof(DescribedObject) },
        { "DetectorInfo", typeof(DetectorInfo) },
        { "TokenUsage", typeof(TokenUsage) },
    };

    private static string MetadataPath()
    {
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        return Path.Combine(RepoPaths.Root, "src", "GPT4RoI.Functions", "bin", config, "net10.0", "functions.metadata");
    }

    /// <summary>A route template as an OpenAPI path: <c>app/{*path}</c> → <c>/app/{path}</c>.</summary>
    private static string ToPath(string route) => "/" + route.Replace("{*", "{", StringComparison.Ordinal);

    private static IEnumerable<(string Function, string Method, string Path)> DocumentOperations() =>
        from path in OpenApiSchemaChecker.Document["paths"]!.AsObject()
        from op in path.Value!.AsObject()
        where HttpMethods.Contains(op.Key)
        select (op.Value!["operationId"]!.GetValue<string>(), op.Key, path.Key);

    [Fact]
    public void Paths_FunctionsMetadata_EveryHttpTriggerDocumentedAndNothingElse()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(MetadataPath()));
        var triggers = (
            from f in doc.RootElement.EnumerateArray()
            from b in f.GetProperty("bindings").EnumerateArray()
            where b.GetProperty("type").GetString() == "httpTrigger"
            from m in b.GetProperty("methods").EnumerateArray()
            select (Function: f.GetProperty("name").GetString()!, Method: m.GetString()!.ToLowerInvariant(), Path: ToPath(b.GetProperty("route").GetString()!)))
            .Order().ToList();

        Assert.NotEmpty(triggers);
        Assert.Equal(triggers, DocumentOperations().Order().ToList());
    }

    [Fact]
    public void Paths_HttpFunctionsFoundByReflection_SameAsDocument()
    {
        var routes = HttpRoute.Discover(typeof(ServiceCollectionExtensions).Assembly)
            .SelectMany(r => r.Methods.Select(m => (r.Function, Method: m.ToLowerInvariant(), Path: ToPath(r.Template))))
            .Order().ToList();

        Assert.Equal(routes, DocumentOperations().Order().ToList());
    }

    [Fact]
    public void Document_EveryReferenceResolvesAndEveryOperationAnswers()
    {
        Assert.StartsWith("3.0.", OpenApiSchemaChecker.Document["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        var refs = new List<string>();
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (key, value) in o)
                    {
                        if (key == "$ref")
                        {
                            refs.Add(value!.GetValue<string>());
                        }
                        else
                        {
                            Walk(value);
                        }
                    }

                    break;
                case JsonArray a:
                    foreach (var item in a)
                    {
                        Walk(item);
                    }

                    break;
            }
        }

        Walk(OpenApiSchemaChecker.Document);
        Assert.NotEmpty(refs);
        Assert.All(refs, r => OpenApiSchemaChecker.Resolve(new JsonObject { ["$ref"] = r }));
        Assert.All(OpenApiSchemaChecker.Document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()).Where(op => HttpMethods.Contains(op.Key)),
            op => Assert.NotEmpty(op.Value!["responses"]!.AsObject()));
    }

    [Theory]
    [MemberData(nameof(ContractSchemas))]
    public void Schema_ContractType_SameJsonMemberNames(string schema, Type type)
    {
        var members = ContractJson.Options.GetTypeInfo(type).Properties.Select(p => p.Name).Order(StringComparer.Ordinal).ToList();

        var declared = OpenApiSchemaChecker.PropertyNames(OpenApiSchemaChecker.Schema(schema)).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(members, declared);
    }

    [Theory]
    [MemberData(nameof(ContractSchemas))]
    public void Schema_RequiredMembers_AreDeclared(string schema, Type type)
    {
        _ = type;
        var s = OpenApiSchemaChecker.Schema(schema);
        var names = OpenApiSchemaChecker.PropertyNames(s);
        Assert.All(s["required"]?.AsArray().Select(r => r!.GetValue<string>()) ?? [], r => Assert.Contains(r, names));
    }

    [Fact]
    public void Schema_ErrorCode_EveryCodeOnTheWire()
    {
        var codes = Enum.GetValues<ErrorCode>().Select(ErrorCodeJsonConverter.WireName).ToList();

        var documented = OpenApiSchemaChecker.Schema("ErrorCode")["enum"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();

        Assert.Equal(codes, documented);
    }

    [Fact]
    public void Schema_SessionState_EveryState()
    {
        var states = typeof(SessionStates).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).Order(StringComparer.Ordinal);

        var documented = OpenApiSchemaChecker.Schema("SessionState")["enum"]!.AsArray().Select(c => c!.GetValue<string>()).Order(StringComparer.Ordinal);

        Assert.Equal(states, documented);
    }
}
