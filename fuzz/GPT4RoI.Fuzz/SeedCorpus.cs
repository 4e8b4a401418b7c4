using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace GPT4RoI.Fuzz;

/// <summary>Writes the seed corpora under fuzz/corpus (<c>gpt4roi-fuzz seeds</c>): small valid inputs of every target.</summary>
internal static class SeedCorpus
{
    public static int Write(string root, TextWriter output)
    {
        var count = 0;
        void Put(string target, string name, byte[] data)
        {
            var dir = Path.Combine(root, target);
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, name), data);
            count++;
        }

        static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

        Put("manifest", "one-task.json", Utf8("""{"image": "shapes.png", "tasks": [{"id": "a", "question": "What is <region1>?", "regions": [[95, 70, 215, 190]]}]}"""));
        Put("manifest", "turns.json", Utf8("""{"image": "x/shapes.png", "request_id": "r1", "tasks": [{"id": "c", "turns": [{"question": "What shape is <region1>?", "regions": [[1, 2, 30, 40]]}, {"question": "Where is <region2> relative to <region1>?", "regions": [[5, 5, 9, 9]]}]}], "generation": {"temperature": 0.7, "top_p": 0.9, "seed": 3, "max_new_tokens": 32}}"""));
        Put("manifest", "sample.json", File.ReadAllBytes(Path.Combine(RepoLayout.Root, "samples", "batch", "shapes.json")));

        Put("request-json", "query.json", [0, .. Utf8("""{"image_blob": "inbox/batch1/shapes.png", "question": "What is <region1>?", "regions": [[95, 70, 215, 190]], "generation": {"max_new_tokens": 32}, "stream": false}""")]);
        Put("request-json", "query-plain-name.json", [2, .. Utf8("""{"image_blob": "a/b.png", "question": "What color is <region1>?", "regions": [[1, 1, 5, 5]], "stream": true}""")]);
        Put("request-json", "turn.json", [1, .. Utf8("""{"question": "Where is <region2> relative to <region1>?", "regions": [[232, 12, 348, 128]]}""")]);

        var tinyPng = Encode(new Image<Rgb24>(4, 4, new Rgb24(200, 10, 10)), new PngEncoder());
        Put("multipart", "image-and-request.txt", Multipart(("image", "shapes.png", tinyPng), ("request", null, Utf8("""{"question": "What is <region1>?", "regions": [[0, 0, 2, 2]]}"""))));
        Put("multipart", "image-only.txt", Multipart(("image", "a.png", tinyPng)));
        Put("multipart", "request-first.txt", Multipart(("request", null, Utf8("""{"question": "hi"}""")), ("image", null, tinyPng)));

        using (var photo = Gradient(24, 16))
        {
            Put("image-jpeg", "420.jpg", Encode(photo, new JpegEncoder { Quality = 75, ColorType = JpegColorType.YCbCrRatio420 }));
            Put("image-jpeg", "444.jpg", Encode(photo, new JpegEncoder { Quality = 90, ColorType = JpegColorType.YCbCrRatio444 }));
            Put("image-jpeg", "gray.jpg", Encode(photo, new JpegEncoder { ColorType = JpegColorType.Luminance }));
            photo.Metadata.ExifProfile = new ExifProfile();
            photo.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
            Put("image-jpeg", "exif-orientation-6.jpg", Encode(photo, new JpegEncoder { Quality = 60 }));
            Put("image-png", "exif-orientation-6.png", Encode(photo, new PngEncoder()));
            Put("image-webp", "exif-orientation-6.webp", Encode(photo, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }));
        }

        using (var photo = Gradient(12, 9))
        {
            Put("image-png", "rgb.png", Encode(photo, new PngEncoder()));
            Put("image-png", "palette.png", Encode(photo, new PngEncoder { ColorType = PngColorType.Palette }));
            Put("image-png", "rgba16-adam7.png", Encode(photo.CloneAs<Rgba64>(), new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.RgbWithAlpha, InterlaceMethod = PngInterlaceMode.Adam7 }));
            Put("image-png", "gray.png", Encode(photo, new PngEncoder { ColorType = PngColorType.Grayscale }));
            photo.Metadata.GetPngMetadata().TextData.Add(new PngTextData("Comment", new string('a', 40), "", ""));
            photo.Metadata.GetPngMetadata().TextData.Add(new PngTextData("Description", new string('b', 2000), "", ""));
            photo.Metadata.GetPngMetadata().TextData.Add(new PngTextData("Title", "t\u00E9", "fr", "titre"));
            Put("image-png", "text-chunks.png", Encode(photo, new PngEncoder { TextCompressionThreshold = 100 }));
            Put("image-webp", "lossy.webp", Encode(photo, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = 50 }));
            Put("image-webp", "lossless.webp", Encode(photo, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }));
            Put("image-webp", "alpha.webp", Encode(photo.CloneAs<Rgba32>(), new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = 40 }));
            Put("image-bmp", "24.bmp", Encode(photo, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 }));
            Put("image-bmp", "8-palette.bmp", Encode(photo, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel8 }));
            Put("image-bmp", "32.bmp", Encode(photo.CloneAs<Rgba32>(), new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel32, SupportTransparency = true }));
            Put("image-bmp", "16.bmp", Encode(photo, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel16 }));
            Put("image-gif", "one-frame.gif", Encode(photo, new GifEncoder()));
            using var second = Gradient(12, 9);
            second.Mutate(c => c.Flip(FlipMode.Horizontal));
            photo.Frames.AddFrame(second.Frames.RootFrame);
            Put("image-gif", "two-frames.gif", Encode(photo, new GifEncoder()));
        }

        Put("tokenizer-model", "tiny.model", File.ReadAllBytes(Path.Combine(RepoLayout.TinyModel, "tokenizer.model")));

        Put("prompt", "one-region.txt", [1, .. Utf8("What is <region1>?")]);
        Put("prompt", "two-turns.txt", [1, .. Utf8("What shape is <region1>?"), 0, 1, .. Utf8("Where is <region2> relative to <region1>?")]);
        Put("prompt", "three-regions.txt", [3, .. Utf8("Compare <region2>, <region1> and <region3>; is <region1> left of <region3>?")]);
        Put("prompt", "no-region.txt", [0, .. Utf8("Describe the picture.")]);

        output.WriteLine($"wrote {count} seed files under {root}");
        return 0;
    }

    private static Image<Rgb24> Gradient(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)(x * 255 / width), (byte)(y * 255 / height), (byte)((x + y) * 7));
            }
        }

        return image;
    }

    private static byte[] Encode(Image image, IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    private static byte[] Multipart(params (string Name, string? FileName, byte[] Body)[] parts)
    {
        using var body = new MemoryStream();
        foreach (var (name, fileName, data) in parts)
        {
            var header = $"--{Targets.MultipartTarget.Boundary}\r\nContent-Disposition: form-data; name=\"{name}\"" +
                (fileName is null ? "" : $"; filename=\"{fileName}\"") + "\r\n\r\n";
            body.Write(Encoding.ASCII.GetBytes(header));
            body.Write(data);
            body.Write("\r\n"u8);
        }

        body.Write(Encoding.ASCII.GetBytes($"--{Targets.MultipartTarget.Boundary}--\r\n"));
        return body.ToArray();
    }
}
