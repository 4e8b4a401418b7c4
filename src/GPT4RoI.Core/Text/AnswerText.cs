namespace GPT4RoI.Core.Text;

/// <summary>Post-processing of generated text, as prompt.py's <c>clean_answer</c>.</summary>
public static class AnswerText
{
    /// <summary>
    /// Cuts <paramref name="generated"/> at the first stop string, removes every <see cref="PromptTemplate.StripFromAnswer"/>
    /// string (in order: <c>"Assistant: "</c>, then <c>"Assistant:"</c>) and trims whitespace (Python <c>str.strip</c>).
    /// </summary>
    public static string Clean(string generated, PromptTemplate template)
    {
        ArgumentNullException.ThrowIfNull(generated);
        ArgumentNullException.ThrowIfNull(template);
        var text = generated;
        var stop = StopDetector.IndexOfAny(text, template.StopStrings);
        if (stop >= 0)
        {
            text = text[..stop];
        }

        foreach (var strip in template.StripFromAnswer)
        {
            if (!string.IsNullOrEmpty(strip))
            {
                text = text.Replace(strip, "", StringComparison.Ordinal);
            }
        }

        var trimmed = PythonText.Trim(text);
        return trimmed.Length == text.Length ? text : trimmed.ToString();
    }
}
