using System.Security.Cryptography;
using System.Text;

namespace GPT4RoI.Functions.Jobs;

/// <summary>Where results and errors of a manifest go in the results container.</summary>
public static class ResultNames
{
    /// <summary><c>{manifest without .json}/{manifest sha256:16}-{image sha256:16}-{model id}.result.json</c>: the same
    /// request, image and model always give the same name, so a redelivered job finds its result.</summary>
    public static string Result(string manifest, string manifestSha256, string imageSha256, string modelId) =>
        $"{Stem(manifest)}/{manifestSha256[..16]}-{imageSha256[..16]}-{Safe(modelId)}.result.json";

    /// <summary>The error JSON of a manifest, next to where its results go.</summary>
    public static string Error(string manifest) => $"{Stem(manifest)}/error.json";

    public static string Stem(string manifest) =>
        manifest.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? manifest[..^5] : manifest;

    public static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static string Safe(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        }

        return sb.ToString();
    }

    /// <summary>The image's blob name: the manifest's <c>image</c> relative to the manifest's folder.</summary>
    public static string ImageBlob(string manifest, string image)
    {
        var slash = manifest.LastIndexOf('/');
        return slash < 0 ? image : manifest[..(slash + 1)] + image;
    }
}
