using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using HomeTunnel.Scheduling;

namespace HomeTunnel.Cmdlets;

/// <summary>A check's -Name: the checks registered for this user (their data files), not the file system's names.</summary>
public sealed class CheckNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string dir;
        try
        {
            dir = CheckLocations.ForCurrentUser().ScriptDirectory;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return Array.Empty<CompletionResult>();
        }
        if (!Directory.Exists(dir))
        {
            return Array.Empty<CompletionResult>();
        }
        string typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return Directory.EnumerateFiles(dir, "*.json")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(n => n is not null && n.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Select(n => new CompletionResult(n!, n!, CompletionResultType.ParameterValue, $"registered path check {n}"))
            .ToList();
    }
}
