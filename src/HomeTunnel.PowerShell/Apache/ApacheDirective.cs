using System;
using System.Collections.Generic;

namespace HomeTunnel.Apache;

/// <summary>One directive of an Apache config as Apache reads it; a section (&lt;VirtualHost …&gt;) has children.</summary>
public sealed class ApacheDirective
{
    public ApacheDirective(string name, IReadOnlyList<string> args, int line, string text, IReadOnlyList<ApacheDirective>? children = null)
    {
        Name = name;
        Args = args;
        Line = line;
        Text = text;
        Children = children;
    }

    public string Name { get; }
    public IReadOnlyList<string> Args { get; }
    public int Line { get; }

    /// <summary>The logical line as written (continuations joined, outer white space trimmed).</summary>
    public string Text { get; }
    public IReadOnlyList<ApacheDirective>? Children { get; }
    public bool IsSection => Children is not null;

    public bool Is(string name) => Name.Equals(name, StringComparison.OrdinalIgnoreCase);

    /// <summary>The directive again, a section with its children indented by four spaces per level.</summary>
    public string Render()
    {
        if (Children is null)
        {
            return Text;
        }
        var lines = new List<string> { Text };
        foreach (ApacheDirective child in Children)
        {
            foreach (string l in child.Render().Split('\n'))
            {
                lines.Add("    " + l);
            }
        }
        lines.Add($"</{Name}>");
        return string.Join('\n', lines);
    }

    public override string ToString() => Text;
}
