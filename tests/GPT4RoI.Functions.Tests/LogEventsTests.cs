using System.Reflection;
using GPT4RoI.Core.Diagnostics;
using GPT4RoI.Core.Inference;
using Microsoft.Extensions.Logging;

namespace GPT4RoI.Functions.Tests;

public sealed class LogEventsTests
{
    /// <summary>Every [LoggerMessage] of the engine and the app takes its id from <see cref="LogEvents"/>, and no two
    /// messages share an id, so an id in a log names one event.</summary>
    [Fact]
    public void LoggerMessages_AcrossTheApp_HaveUniqueIdsFromLogEvents()
    {
        var declared = typeof(LogEvents).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).ToDictionary(f => (int)f.GetRawConstantValue()!, f => f.Name);
        var messages = new[] { typeof(Gpt4RoIEngine).Assembly, typeof(FunctionsOptions).Assembly }
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToList();

        Assert.NotEmpty(messages);
        foreach (var (method, attribute) in messages)
        {
            Assert.True(declared.TryGetValue(attribute!.EventId, out var name), $"{method.DeclaringType}.{method.Name} uses id {attribute.EventId}, which LogEvents does not declare");
            Assert.Equal(name, method.Name);
        }

        var repeated = messages.GroupBy(x => x.Attribute!.EventId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(repeated);
        Assert.Equal(declared.Count, declared.Values.Distinct().Count());
    }
}
