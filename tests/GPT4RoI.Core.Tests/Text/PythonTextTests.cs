using GPT4RoI.Core.Text;

namespace GPT4RoI.Core.Tests.Text;

public class PythonTextTests
{
    // Python 3.11: [c for c in range(0x110000) if chr(c).isspace()]
    private static readonly int[] PythonWhitespace =
    [
        0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
        0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
    ];

    [Fact]
    public void IsWhiteSpace_EveryBmpChar_MatchesPythonIsspace()
    {
        for (var c = 0; c <= 0xFFFF; c++)
        {
            Assert.True(PythonWhitespace.Contains(c) == PythonText.IsWhiteSpace((char)c), $"U+{c:X4}");
        }
    }

    [Fact]
    public void Trim_MixedWhitespace_StripsBothEnds()
    {
        Assert.Equal("a b", PythonText.Trim("\u001f\t a b\u3000\n").ToString());
        Assert.Equal("a b \n", PythonText.TrimStart(" a b \n").ToString());
        Assert.Equal(" a b", PythonText.TrimEnd(" a b \n").ToString());
    }
}
