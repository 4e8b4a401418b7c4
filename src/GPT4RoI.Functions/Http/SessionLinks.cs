using Microsoft.AspNetCore.Http;

namespace GPT4RoI.Functions.Http;

/// <summary>The URLs of a session, absolute when the request names its host.</summary>
public readonly record struct SessionLinks(string Status, string Turns)
{
    /// <summary>The links of session <paramref name="id"/> as seen from <paramref name="http"/>.</summary>
    public static SessionLinks For(HttpRequest http, string id)
    {
        ArgumentNullException.ThrowIfNull(http);
        var root = http.Host.HasValue ? $"{http.Scheme}://{http.Host}{http.PathBase}" : "";
        var status = $"{root}/api/sessions/{Uri.EscapeDataString(id)}";
        return new SessionLinks(status, status + "/turns");
    }
}
