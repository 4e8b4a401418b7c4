using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace GPT4RoI.Functions.Tests.Hosting;

/// <summary>One HTTP-triggered function: its name, methods, route template and method.</summary>
public sealed record HttpRoute(string Function, IReadOnlyList<string> Methods, string Template, MethodInfo Method)
{
    /// <summary>Every <c>[Function]</c> method of the assembly with an <c>[HttpTrigger]</c> parameter.</summary>
    public static IReadOnlyList<HttpRoute> Discover(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var routes = new List<HttpRoute>();
        foreach (var type in assembly.GetTypes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                var function = method.GetCustomAttribute<FunctionAttribute>();
                var trigger = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null);
                if (function is not null && trigger is not null)
                {
                    routes.Add(new HttpRoute(function.Name, trigger.Methods ?? ["get", "post"], trigger.Route ?? function.Name, method));
                }
            }
        }

        return routes.OrderBy(r => r.Function, StringComparer.Ordinal).ToList();
    }

    /// <summary>Calls the function with what its parameters ask for and executes its result.</summary>
    public async Task InvokeAsync(HttpContext context, IServiceProvider services, DurableTaskClient durable)
    {
        ArgumentNullException.ThrowIfNull(context);
        var target = Method.IsStatic ? null : ActivatorUtilities.CreateInstance(services, Method.DeclaringType!);
        var args = Method.GetParameters().Select(object? (p) => p.ParameterType switch
        {
            var t when t == typeof(HttpRequest) => context.Request,
            var t when t == typeof(CancellationToken) => context.RequestAborted,
            var t when t == typeof(DurableTaskClient) => durable,
            var t when t == typeof(string) => context.GetRouteValue(p.Name!) as string,
            var t => throw new NotSupportedException($"{Function}: parameter {p.Name} of type {t.Name}"),
        }).ToArray();
        var returned = Method.Invoke(target, args);
        var result = returned switch
        {
            Task<IActionResult> task => await task.ConfigureAwait(false),
            IActionResult r => r,
            _ => throw new NotSupportedException($"{Function} returned {returned?.GetType().Name ?? "null"}"),
        };
        await result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor())).ConfigureAwait(false);
    }
}
