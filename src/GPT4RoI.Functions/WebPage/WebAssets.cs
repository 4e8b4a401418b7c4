using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace GPT4RoI.Functions.WebPage;

/// <summary>The allow-list of page files: everything under the folder with a known type, read once.</summary>
internal sealed class WebAssets
{
    /// <summary>Same origin only; no inline script or style; images may be blob: (the opened image) or data:.</summary>
    internal const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".json"] = "application/json; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".ico"] = "image/x-icon",
        [".txt"] = "text/plain; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, WebAsset> _files;

    private WebAssets(FrozenDictionary<string, WebAsset> files) => _files = files;

    /// <summary>The relative names served, '/'-separated.</summary>
    internal IEnumerable<string> Names => _files.Keys;

    /// <summary>Reads the folder (a missing folder serves nothing). Hidden files and folders are skipped.</summary>
    internal static WebAssets Load(string root)
    {
        var files = new Dictionary<string, WebAsset>(StringComparer.Ordinal);
        if (Directory.Exists(root))
        {
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                var name = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
                if (name.Split('/').Any(s => s.StartsWith('.')) || !ContentTypes.TryGetValue(Path.GetExtension(name), out var type))
                {
                    continue;
                }

                var bytes = File.ReadAllBytes(file);
                var tag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..32]}\"");
                files[name] = new WebAsset(bytes, type, tag);
            }
        }

        return new WebAssets(files.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The file of that exact relative name; anything else (.., backslashes, unknown names) is absent.</summary>
    internal bool TryGet(string path, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WebAsset? asset) =>
        _files.TryGetValue(path, out asset);
}
