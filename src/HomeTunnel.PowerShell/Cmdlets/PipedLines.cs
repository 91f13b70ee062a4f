using System.Collections.Generic;

namespace HomeTunnel.Cmdlets;

/// <summary>Lines piped one by one (Get-Content), joined as one text, at most <see cref="Files.MaxConfigBytes"/> of it.</summary>
internal sealed class PipedLines
{
    private readonly List<string> _lines = new();
    private long _size;

    public void Add(string line)
    {
        _size += line.Length + 1;
        if (_size > Files.MaxConfigBytes)
        {
            throw Files.TooLarge("the piped text");
        }
        _lines.Add(line);
    }

    public string Text => string.Join("\n", _lines);
}
