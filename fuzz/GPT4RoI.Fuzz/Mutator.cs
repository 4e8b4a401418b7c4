using System.Buffers.Binary;

namespace GPT4RoI.Fuzz;

/// <summary>
/// Random byte-level mutations of seed inputs (no coverage feedback): bit flips, interesting values, inserted,
/// deleted, duplicated or spliced ranges, dictionary tokens. Deterministic for a given <see cref="Random"/> seed.
/// </summary>
internal sealed class Mutator(Random random, IReadOnlyList<byte[]> dictionary, int maxBytes)
{
    private static readonly byte[] InterestingBytes = [0, 1, 0x7F, 0x80, 0xFF, (byte)'0', (byte)'9', (byte)'"', (byte)'\\', (byte)'{', (byte)'[', (byte)'<', (byte)'>'];
    private static readonly uint[] InterestingInts = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 4096, 16384, 65535, 1_000_000];

    /// <summary>A mutated copy of <paramref name="seed"/>, with <paramref name="other"/> for splicing.</summary>
    public byte[] Mutate(byte[] seed, byte[] other)
    {
        var data = new List<byte>(seed);
        var rounds = 1 + random.Next(random.Next(2) == 0 ? 2 : 8);
        for (var r = 0; r < rounds; r++)
        {
            Apply(data, other);
        }

        if (data.Count > maxBytes)
        {
            data.RemoveRange(maxBytes, data.Count - maxBytes);
        }

        return [.. data];
    }

    private void Apply(List<byte> data, byte[] other)
    {
        var op = random.Next(data.Count == 0 ? 3 : 12);
        switch (op)
        {
            case 0:
                Insert(data, RandomBytes(1 + random.Next(16)));
                break;
            case 1:
            case 2:
                if (dictionary.Count > 0)
                {
                    Insert(data, dictionary[random.Next(dictionary.Count)]);
                }
                else
                {
                    Insert(data, RandomBytes(1));
                }

                break;
            case 3:
                data[random.Next(data.Count)] ^= (byte)(1 << random.Next(8));
                break;
            case 4:
                data[random.Next(data.Count)] = InterestingBytes[random.Next(InterestingBytes.Length)];
                break;
            case 5:
                data[random.Next(data.Count)] = (byte)random.Next(256);
                break;
            case 6:
                {
                    var at = random.Next(data.Count);
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(Math.Min(64, data.Count))));
                    break;
                }

            case 7:
                {
                    var at = random.Next(data.Count);
                    var length = Math.Min(data.Count - at, 1 + random.Next(256));
                    var copy = data.GetRange(at, length);
                    data.InsertRange(random.Next(data.Count + 1), copy);
                    break;
                }

            case 8:
                OverwriteInt(data);
                break;
            case 9:
                if (other.Length > 0)
                {
                    var from = random.Next(other.Length);
                    var length = Math.Min(other.Length - from, 1 + random.Next(512));
                    var at = random.Next(data.Count + 1);
                    data.InsertRange(at, other.AsSpan(from, length).ToArray());
                }

                break;
            case 10:
                if (dictionary.Count > 0)
                {
                    var token = dictionary[random.Next(dictionary.Count)];
                    var at = random.Next(data.Count);
                    for (var k = 0; k < token.Length && at + k < data.Count; k++)
                    {
                        data[at + k] = token[k];
                    }
                }

                break;
            default:
                {
                    // Add or subtract a small number from a byte (lengths, counts, digits).
                    var at = random.Next(data.Count);
                    data[at] = (byte)(data[at] + random.Next(-16, 17));
                    break;
                }
        }
    }

    private void Insert(List<byte> data, byte[] bytes) => data.InsertRange(random.Next(data.Count + 1), bytes);

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private void OverwriteInt(List<byte> data)
    {
        var size = random.Next(2) == 0 ? 2 : 4;
        if (data.Count < size)
        {
            return;
        }

        var value = InterestingInts[random.Next(InterestingInts.Length)];
        Span<byte> bytes = stackalloc byte[4];
        if (random.Next(2) == 0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
            bytes = size == 2 ? bytes[2..] : bytes;
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
            bytes = bytes[..size];
        }

        var at = random.Next(data.Count - size + 1);
        for (var k = 0; k < size; k++)
        {
            data[at + k] = bytes[k];
        }
    }
}
