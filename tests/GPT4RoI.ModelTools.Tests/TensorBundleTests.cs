using System.Buffers.Binary;
using System.Security.Cryptography;
using GPT4RoI.ModelTools.Tensors;
using GPT4RoI.TestSupport;

namespace GPT4RoI.ModelTools.Tests;

public class TensorBundleTests
{
    private static void WriteManifest(TempDirectory dir, string json) => File.WriteAllText(dir.File("bundle.json"), json);

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    [Fact]
    public void Load_Float32Tensor_ReturnsShapeAndValues()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("data"));
        File.WriteAllBytes(dir.File("data/x.bin"), Floats(1f, -2.5f, 3f, 4f, 5f, 6.25f));
        WriteManifest(dir, """{ "tensors": { "x": { "dtype": "float32", "shape": [2, 3], "file": "data/x.bin" } } }""");

        var bundle = TensorBundle.Load(dir.File("bundle.json"));

        Assert.Equal(["x"], bundle.Names);
        var x = bundle.Get("x");
        Assert.Equal(TensorDtype.Float32, x.Dtype);
        Assert.Equal([2L, 3L], x.Shape);
        Assert.Equal(6, x.ElementCount);
        Assert.Equal([1f, -2.5f, 3f, 4f, 5f, 6.25f], x.AsFloat32());
    }

    [Fact]
    public void Load_Float16Tensor_ConvertsToFloat32()
    {
        using var dir = new TempDirectory();
        var bytes = new byte[6];
        BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(0), (Half)1.5f);
        BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2), (Half)(-0.25f));
        BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(4), (Half)65504f);
        File.WriteAllBytes(dir.File("h.bin"), bytes);
        WriteManifest(dir, """{ "tensors": { "h": { "dtype": "float16", "shape": [3], "file": "h.bin" } } }""");

        var h = TensorBundle.Load(dir.File("bundle.json")).Get("h");

        Assert.Equal(TensorDtype.Float16, h.Dtype);
        Assert.Equal([1.5f, -0.25f, 65504f], h.AsFloat32());
    }

    [Fact]
    public void Load_IntegerTensors_ReturnValues()
    {
        using var dir = new TempDirectory();
        var i64 = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(i64.AsSpan(0), -1L);
        BinaryPrimitives.WriteInt64LittleEndian(i64.AsSpan(8), 1L << 40);
        var i32 = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(i32.AsSpan(0), 7);
        BinaryPrimitives.WriteInt32LittleEndian(i32.AsSpan(4), -9);
        File.WriteAllBytes(dir.File("a.bin"), i64);
        File.WriteAllBytes(dir.File("b.bin"), i32);
        File.WriteAllBytes(dir.File("c.bin"), [0, 128, 255]);
        WriteManifest(dir, """
            { "tensors": {
                "a": { "dtype": "int64", "shape": [1, 2], "file": "a.bin" },
                "b": { "dtype": "int32", "shape": [2], "file": "b.bin" },
                "c": { "dtype": "uint8", "shape": [3, 1], "file": "c.bin" } } }
            """);

        var bundle = TensorBundle.Load(dir.File("bundle.json"));

        Assert.Equal(["a", "b", "c"], bundle.Names);
        Assert.Equal([-1L, 1L << 40], bundle.Get("a").AsInt64());
        Assert.Equal([7, -9], bundle.Get("b").AsInt32());
        Assert.Equal([7L, -9L], bundle.Get("b").AsInt64());
        Assert.Equal(new byte[] { 0, 128, 255 }, bundle.Get("c").AsBytes());
        Assert.Throws<InvalidOperationException>(() => bundle.Get("a").AsInt32());
        Assert.Throws<InvalidOperationException>(() => bundle.Get("a").AsFloat32());
    }

    [Fact]
    public void Load_ZeroLengthDimension_ReturnsEmptyTensor()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("past.bin"), []);
        WriteManifest(dir, """{ "tensors": { "past": { "dtype": "float16", "shape": [1, 32, 0, 128], "file": "past.bin" } } }""");

        var past = TensorBundle.Load(dir.File("bundle.json")).Get("past");

        Assert.Equal([1L, 32L, 0L, 128L], past.Shape);
        Assert.Equal(0, past.ElementCount);
        Assert.Empty(past.AsFloat32());
    }

    [Fact]
    public void Load_MissingDataFile_ThrowsNamingFileAndTensor()
    {
        using var dir = new TempDirectory();
        WriteManifest(dir, """{ "tensors": { "pixel_values": { "dtype": "float32", "shape": [1], "file": "nope.bin" } } }""");

        var ex = Assert.Throws<FileNotFoundException>(() => TensorBundle.Load(dir.File("bundle.json")));

        Assert.Contains("nope.bin", ex.Message, StringComparison.Ordinal);
        Assert.Contains("pixel_values", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingManifest_ThrowsNamingFile()
    {
        using var dir = new TempDirectory();

        var ex = Assert.Throws<FileNotFoundException>(() => TensorBundle.Load(dir.File("absent.json")));

        Assert.Contains("absent.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SizeMismatch_ThrowsWithSizes()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("x.bin"), Floats(1f, 2f, 3f));
        WriteManifest(dir, """{ "tensors": { "x": { "dtype": "float32", "shape": [2, 2], "file": "x.bin" } } }""");

        var ex = Assert.Throws<InvalidDataException>(() => TensorBundle.Load(dir.File("bundle.json")));

        Assert.Contains("'x'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("x.bin", ex.Message, StringComparison.Ordinal);
        Assert.Contains("12 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("16 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Sha256Matches_Loads()
    {
        using var dir = new TempDirectory();
        var bytes = Floats(0.5f);
        File.WriteAllBytes(dir.File("x.bin"), bytes);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        WriteManifest(dir, $$"""{ "tensors": { "x": { "dtype": "float32", "shape": [1], "file": "x.bin", "sha256": "{{sha}}" } } }""");

        Assert.Equal([0.5f], TensorBundle.Load(dir.File("bundle.json")).Get("x").AsFloat32());
    }

    [Fact]
    public void Load_Sha256Mismatch_ThrowsNamingFile()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("x.bin"), Floats(0.5f));
        var wrong = new string('0', 64);
        WriteManifest(dir, $$"""{ "tensors": { "x": { "dtype": "float32", "shape": [1], "file": "x.bin", "sha256": "{{wrong}}" } } }""");

        var ex = Assert.Throws<InvalidDataException>(() => TensorBundle.Load(dir.File("bundle.json")));

        Assert.Contains("sha256", ex.Message, StringComparison.Ordinal);
        Assert.Contains("x.bin", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnsupportedDtype_Throws()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("x.bin"), new byte[8]);
        WriteManifest(dir, """{ "tensors": { "x": { "dtype": "float64", "shape": [1], "file": "x.bin" } } }""");

        var ex = Assert.Throws<InvalidDataException>(() => TensorBundle.Load(dir.File("bundle.json")));

        Assert.Contains("float64", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NoTensorsObject_Throws()
    {
        using var dir = new TempDirectory();
        WriteManifest(dir, """{ "other": 1 }""");

        var ex = Assert.Throws<InvalidDataException>(() => TensorBundle.Load(dir.File("bundle.json")));

        Assert.Contains("bundle.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_UnknownName_ThrowsNamingTensor()
    {
        using var dir = new TempDirectory();
        WriteManifest(dir, """{ "tensors": {} }""");
        var bundle = TensorBundle.Load(dir.File("bundle.json"));

        var ex = Assert.Throws<KeyNotFoundException>(() => bundle.Get("logits"));

        Assert.Contains("logits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ThenLoad_RoundTrips()
    {
        using var dir = new TempDirectory();
        TensorBundleWriter.Write(
            dir.File("sub/out.json"),
            [
                TensorData.FromFloat32("a/b", [2], [1f, 2f]),
                TensorData.FromFloat16("h", [1, 2], [0.5f, -1f]),
                TensorData.FromInt64("ids", [3], [1, 2, 3]),
                TensorData.FromInt32("mask", [1], [1]),
                TensorData.FromUInt8("img", [2], [9, 10]),
                TensorData.FromFloat32("empty", [1, 0, 4], []),
            ]);

        var bundle = TensorBundle.Load(dir.File("sub/out.json"));

        Assert.Equal(["a/b", "h", "ids", "mask", "img", "empty"], bundle.Names);
        Assert.Equal([1f, 2f], bundle.Get("a/b").AsFloat32());
        Assert.Equal([0.5f, -1f], bundle.Get("h").AsFloat32());
        Assert.Equal([1L, 2L, 3L], bundle.Get("ids").AsInt64());
        Assert.Equal([1], bundle.Get("mask").AsInt32());
        Assert.Equal(new byte[] { 9, 10 }, bundle.Get("img").AsBytes());
        Assert.Equal([1L, 0L, 4L], bundle.Get("empty").Shape);
    }
}
