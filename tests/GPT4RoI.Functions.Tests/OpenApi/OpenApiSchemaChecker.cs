using System.Text.Json;
using System.Text.Json.Nodes;
using GPT4RoI.Functions.OpenApi;

namespace GPT4RoI.Functions.Tests.OpenApi;

/// <summary>
/// Reads the served OpenAPI document and checks JSON bodies against its schemas by name: every member a body has is
/// declared (unless the schema allows additional properties), every required member is there, and arrays, objects and
/// <c>$ref</c>s are followed. Enough to catch a renamed, added or dropped member; types are the contract tests' job.
/// </summary>
internal static class OpenApiSchemaChecker
{
    public static JsonObject Document { get; } = JsonNode.Parse(OpenApiFunctions.Content.Span)!.AsObject();

    public static JsonObject Schemas => Document["components"]!["schemas"]!.AsObject();

    public static JsonObject Schema(string name) => Resolve(Schemas[name] ?? throw new KeyNotFoundException($"no schema {name}"));

    /// <summary>Follows a <c>$ref</c> (local references only).</summary>
    public static JsonObject Resolve(JsonNode node)
    {
        var o = node.AsObject();
        while (o["$ref"] is { } r)
        {
            JsonNode current = Document;
            foreach (var part in r.GetValue<string>().TrimStart('#', '/').Split('/'))
            {
                current = current[part] ?? throw new KeyNotFoundException($"unresolved {r}");
            }

            o = current.AsObject();
        }

        return o;
    }

    /// <summary>The declared member names of an object schema.</summary>
    public static IReadOnlySet<string> PropertyNames(JsonObject schema) =>
        schema["properties"]?.AsObject().Select(p => p.Key).ToHashSet(StringComparer.Ordinal) ?? [];

    /// <summary>Problems of <paramref name="value"/> against schema <paramref name="name"/> (empty: it conforms).</summary>
    public static List<string> Check(JsonElement value, string name)
    {
        var problems = new List<string>();
        Check(value, Schema(name), name, problems);
        return problems;
    }

    private static void Check(JsonElement value, JsonObject schema, string path, List<string> problems)
    {
        schema = Resolve(schema);
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind == JsonValueKind.Array && schema["items"] is { } items)
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                Check(item, Resolve(items), $"{path}[{i++}]", problems);
            }

            return;
        }

        if (value.ValueKind != JsonValueKind.Object || schema["properties"] is not JsonObject properties)
        {
            if (schema["enum"] is JsonArray allowed && value.ValueKind == JsonValueKind.String
                && !allowed.Any(a => a!.GetValue<string>() == value.GetString()))
            {
                problems.Add($"{path}: '{value.GetString()}' is not one of the schema's values");
            }

            return;
        }

        var open = schema["additionalProperties"] is JsonValue v && v.GetValue<bool>();
        foreach (var member in value.EnumerateObject())
        {
            if (properties[member.Name] is { } sub)
            {
                Check(member.Value, Resolve(sub), $"{path}.{member.Name}", problems);
            }
            else if (!open)
            {
                problems.Add($"{path}: member '{member.Name}' is not in the schema");
            }
        }

        foreach (var required in schema["required"]?.AsArray().Select(r => r!.GetValue<string>()) ?? [])
        {
            if (!value.TryGetProperty(required, out _))
            {
                problems.Add($"{path}: required member '{required}' is missing");
            }
        }
    }
}
